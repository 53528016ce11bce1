#!/bin/bash
# The legacy test desktop's entrypoint, in the role of the startup script of
# simphony-remote's vncapp images: it runs as root, creates the session's
# user, $USER, with useradd (uid and gid of the owner of /workspace, else
# 1000), then runs the session as that user. So, like those images, it
# starts only where an administrator marked it run-as-root: as any other
# user, useradd fails and the container ends at once.
set -euo pipefail

name=${USER:-user}
[[ $name =~ ^[a-z_][a-z0-9_-]{0,31}$ ]] || name=user
uid=1000
gid=1000
if [[ -d /workspace && $(stat -c %u /workspace) != 0 ]]; then
	uid=$(stat -c %u /workspace)
	gid=$(stat -c %g /workspace)
fi
getent passwd "$name" >/dev/null && name=user$uid
getent group "$gid" >/dev/null || groupadd --gid "$gid" "$name"
useradd --non-unique --uid "$uid" --gid "$gid" --home-dir /workspace --no-create-home --shell /bin/bash "$name"
mkdir -p /workspace
export HOME=/workspace USER=$name LOGNAME=$name SHELL=/bin/bash
cd /workspace
exec setpriv --reuid="$uid" --regid="$gid" --init-groups --inh-caps=-all /usr/local/bin/simphony-remote-session
