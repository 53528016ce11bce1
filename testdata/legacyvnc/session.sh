#!/bin/bash
# The legacy test desktop's session, as the session's user, in the roles of
# the programs simphony-remote's vncapp images run under supervisord:
# Xtigervnc (their Xvfb and x11vnc), openbox (lxsession), vnc-front on
# 127.0.0.1:6081 (websockify) and legacyvnc-front on port 8888 (nginx).
# When any of them ends, the container ends.
set -uo pipefail

stop() {
	# shellcheck disable=SC2046 # one word per process id
	kill $(jobs -p) 2>/dev/null
	wait
	exit "${1:-0}"
}
trap 'stop 0' TERM INT

# wait_port PORT: wait (at most 30 s) until 127.0.0.1:PORT accepts.
wait_port() {
	for _ in $(seq 300); do
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
		sleep 0.1
	done
	echo "legacy session: port $1 did not open in 30 s" >&2
	stop 1
}

export DISPLAY=:1
Xtigervnc :1 -geometry "${X11_WIDTH:-1024}x${X11_HEIGHT:-768}" -depth 24 \
	-SecurityTypes None -localhost -interface 127.0.0.1 -rfbport 5901 \
	-AlwaysShared -nolisten tcp -desktop "${USER:-user}'s legacy desktop" &
wait_port 5901
dbus-launch --exit-with-session openbox-session &
simphony-remote-starter vnc-front --listen 127.0.0.1:6081 --vnc 127.0.0.1:5901 --novnc /opt/novnc &
wait_port 6081
legacyvnc-front &

wait -n
stop $?
