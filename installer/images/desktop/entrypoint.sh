#!/bin/bash
# The desktop's entrypoint; runs as root, under no-new-privileges.
#
# Creates the session's user, $USER (default "user"), with the uid and gid
# of the owner of /workspace when it exists and is not root, else 1000, and
# /workspace as home (created when missing, given to the user when empty
# and root's). Then it becomes that user with
# setpriv, which needs no setuid binary (su and sudo fail under
# no-new-privileges), and runs the desktop (simphony-remote-session).
set -euo pipefail

say() { printf 'simphony-remote-entrypoint: %s\n' "$*" >&2; }

name=${USER:-user}
if ! [[ $name =~ ^[a-z_][a-z0-9_-]{0,31}$ ]]; then
	say "USER=$name is not a usable user name; using 'user'"
	name=user
fi

uid=1000
gid=1000
if [[ -d /workspace ]]; then
	owner=$(stat -c %u /workspace)
	if [[ $owner != 0 ]]; then
		uid=$owner
		gid=$(stat -c %g /workspace)
		[[ $gid != 0 ]] || gid=$uid
	elif [[ -z $(ls -A /workspace) ]]; then
		# Empty and root's: a mount point Docker made. It becomes the home.
		chown "$uid:$gid" /workspace
	else
		say "/workspace belongs to root: $name (uid $uid) may not be able to write in it"
	fi
else
	mkdir -p /workspace
	chown "$uid:$gid" /workspace
fi

# A name the image already uses for another uid (root, daemon...) is not
# taken over.
existing=$(getent passwd "$name" | cut -d: -f3 || true)
if [[ -n $existing && $existing != "$uid" ]]; then
	say "user name $name is taken in the image; using user$uid"
	name=user$uid
fi
if ! getent group "$gid" >/dev/null; then
	group=$name
	getent group "$group" >/dev/null && group=group$gid
	groupadd --gid "$gid" "$group"
fi
if ! getent passwd "$name" >/dev/null; then
	useradd --non-unique --uid "$uid" --gid "$gid" --home-dir /workspace --no-create-home --shell /bin/bash "$name"
fi

# X11's socket directory, which only root may create.
mkdir -p /tmp/.X11-unix
chmod 1777 /tmp/.X11-unix

export HOME=/workspace USER=$name LOGNAME=$name SHELL=/bin/bash
cd /workspace
exec setpriv --reuid="$uid" --regid="$gid" --init-groups --inh-caps=-all \
	/usr/local/bin/simphony-remote-session
