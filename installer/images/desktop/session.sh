#!/bin/bash
# The desktop session, as the session's user: simphony-remote-starter
# vnc-front on port 8888, TigerVNC's X server (VNC on 127.0.0.1:5901
# only), and openbox with its autostart once the X server is up. As soon as any of them
# ends, the others are stopped and the container ends, so that the
# appliance notices.
set -uo pipefail

say() { printf 'simphony-remote-session: %s\n' "$*" >&2; }

number() { # number NAME VALUE DEFAULT MIN MAX
	if [[ $2 =~ ^[0-9]{1,5}$ ]] && (($2 >= $4 && $2 <= $5)); then
		printf '%s' "$2"
	else
		say "$1=$2 is not a number from $4 to $5; using $3"
		printf '%s' "$3"
	fi
}
width=$(number X11_WIDTH "${X11_WIDTH:-1024}" 1024 320 8192)
height=$(number X11_HEIGHT "${X11_HEIGHT:-768}" 768 200 8192)
depth=${X11_DEPTH:-24}
case $depth in 16 | 24 | 32) ;; *) say "X11_DEPTH=$depth is not 16, 24 or 32; using 24"; depth=24 ;; esac

stop() {
	trap - TERM INT
	# shellcheck disable=SC2046 # one word per process id
	kill $(jobs -p) 2>/dev/null
	wait
	exit "${1:-0}"
}
trap 'stop 0' TERM INT

export DISPLAY=:1
export NO_AT_BRIDGE=1 # no accessibility bus: GTK need not look for one
export XDG_MENU_PREFIX=lxde- # the panel's menu: lxde-applications.menu
# vnc-front starts with the X server, not after it: it answers "starting"
# (503) until the VNC server accepts connections.
simphony-remote-starter vnc-front --listen :8888 --vnc 127.0.0.1:5901 --novnc /opt/novnc &
Xtigervnc :1 -geometry "${width}x${height}" -depth "$depth" \
	-SecurityTypes None -localhost -interface 127.0.0.1 -rfbport 5901 \
	-AlwaysShared -AcceptSetDesktopSize -nolisten tcp \
	-desktop "${USER:-user}'s desktop" &
xvnc=$!

# Wait (at most 30 s) for the X server and its VNC port.
ready=
for _ in $(seq 1500); do
	if [[ -S /tmp/.X11-unix/X1 ]] && (exec 3<>/dev/tcp/127.0.0.1/5901) 2>/dev/null; then
		ready=1
		break
	fi
	if ! kill -0 "$xvnc" 2>/dev/null; then
		say "Xtigervnc ended before it was ready"
		stop 1
	fi
	sleep 0.02
done
if [[ -z $ready ]]; then
	say "Xtigervnc was not ready after 30 s"
	stop 1
fi

# The desktop's colour (pcmanfm's desktop_bg) on the X server's own root
# window at once: noVNC's first picture is the desktop, not black, while
# the panel and the background's picture start.
xsetroot -solid '#1d3a57'
dbus-launch --exit-with-session openbox-session &

wait -n
status=$?
say "a part of the desktop ended (status $status); stopping the session"
stop "$status"
