#!/bin/bash
# The desktop's entrypoint. The appliance starts it as the session's own
# unprivileged UID and GID (docker run --user), which need no entry in the
# image's /etc/passwd: a passwd and a group entry for them are written to
# /tmp and shown to the programs by nss_wrapper (libnss-wrapper), so that
# the shell, xterm, pcmanfm and mousepad know the user's name and home.
# /workspace is the home: the user's persistent workspace when mounted
# (owned by that UID), else the image's empty, world-writable directory.
#
# An image an administrator marked "run as root" (one made for the
# original simphony-remote) starts as root: then this script first becomes
# the owner of /workspace (nobody when that is root), with setpriv, which
# needs no setuid binary (su and sudo fail under no-new-privileges), and
# runs itself again.
set -euo pipefail

say() { printf 'simphony-remote-entrypoint: %s\n' "$*" >&2; }

if [[ $(id -u) == 0 ]]; then
	uid=65534
	gid=65534
	if [[ -d /workspace && $(stat -c %u /workspace) != 0 ]]; then
		uid=$(stat -c %u /workspace)
		gid=$(stat -c %g /workspace)
		[[ $gid != 0 ]] || gid=65534
	fi
	say "started as root: running the desktop as uid $uid, gid $gid"
	exec setpriv --reuid="$uid" --regid="$gid" --clear-groups --inh-caps=-all "$0" "$@"
fi

name=${USER:-user}
if ! [[ $name =~ ^[a-z_][a-z0-9_-]{0,31}$ ]]; then
	say "USER=$name is not a usable user name; using 'user'"
	name=user
fi
uid=$(id -u)
gid=$(id -g)

# The image's own accounts, plus the session's user and group (unless the
# image has an entry for that uid or gid already).
nss=$(mktemp -d /tmp/simphony-remote-nss.XXXXXX)
if getent passwd "$uid" >/dev/null; then
	name=$(getent passwd "$uid" | cut -d: -f1)
	cp /etc/passwd "$nss/passwd"
else
	getent passwd "$name" >/dev/null && name=user$uid # the name is another uid's
	{ cat /etc/passwd; printf '%s:x:%s:%s:%s:/workspace:/bin/bash\n' "$name" "$uid" "$gid" "$name"; } >"$nss/passwd"
fi
if getent group "$gid" >/dev/null; then
	cp /etc/group "$nss/group"
else
	group=$name
	getent group "$group" >/dev/null && group=group$gid
	{ cat /etc/group; printf '%s:x:%s:\n' "$group" "$gid"; } >"$nss/group"
fi
export LD_PRELOAD=libnss_wrapper.so NSS_WRAPPER_PASSWD=$nss/passwd NSS_WRAPPER_GROUP=$nss/group

if [[ ! -w /workspace ]]; then
	say "/workspace is not writable by uid $uid: files saved in the home will fail"
fi
export HOME=/workspace USER=$name LOGNAME=$name SHELL=/bin/bash
cd /workspace
exec /usr/local/bin/simphony-remote-session
