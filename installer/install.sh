#!/usr/bin/env bash
# install.sh: install SimPhoNy Remote on this machine as a service, from its
# Debian packages (make package), in one step. Run it as root; run it again
# to change a setting or to upgrade (it is idempotent). --help says more.
set -euo pipefail

CONFIG=/etc/simphony-remote/simphony-remote.toml
UNIT=simphony-remote.service
SERVICE_USER=simphony-remote
DEFAULT_DATA=/var/lib/simphony-remote
DROPIN=/etc/systemd/system/$UNIT.d/install.conf
PIDFILE=/run/simphony-remote.pid
LOGFILE=/var/log/simphony-remote.log
DEMO_APPS=(simphony-remote/desktop:latest simphony-remote/files:latest)

usage() {
	cat <<'EOF'
Usage: install.sh [OPTIONS]

Installs SimPhoNy Remote as a service: Docker Engine (Debian's or Ubuntu's
docker.io) when missing, the simphony-remote package (and the desktop
console's when this machine has a desktop), the configuration
/etc/simphony-remote/simphony-remote.toml, data in /var/lib/simphony-remote,
the starter images, and the systemd unit simphony-remote.service. It prints
the portal's address, the first administrator's name and password (on the
first install only) and the fingerprint of the appliance's certificate
authority. Each step is one line with its time.

Options:
  --hostname NAME    the name users type (sets tls.hostnames; sessions then run
                     on NAME's subdomains: give NAME a wildcard DNS record *.NAME)
  --email ADDR       obtain a public certificate for NAME with ACME, as ADDR
  --port N           HTTPS port (default 443)
  --data-dir DIR     data directory (default /var/lib/simphony-remote)
  --packages DIR     where the .deb files are (default: dist/ next to this
                     script's directory, as make package writes them)
  --no-images        do not build the starter images (nor grant them)
  --no-systemd       do not use systemd (a container, a chroot): the appliance
                     is started in the background, its log in /var/log/simphony-remote.log
  --dry-run          print the plan, change nothing
  --uninstall        remove the packages and the service; keeps the data
                     and the configuration unless --purge
  --purge            with --uninstall: remove the data and the configuration too
  -h, --help         this text
EOF
}

say() { printf 'install: %s\n' "$*"; }
die() {
	printf 'install: error: %s\n' "$*" >&2
	exit 1
}

hostname_opt="" email="" port="" data_dir="" packages="" images=1 systemd=1 dry=0 uninstall=0 purge=0
while [ $# -gt 0 ]; do
	case "$1" in
	--hostname | --email | --port | --data-dir | --packages)
		if [ $# -lt 2 ] || [ -z "$2" ]; then die "$1 needs a value"; fi
		case "$1" in
		--hostname) hostname_opt=$2 ;;
		--email) email=$2 ;;
		--port) port=$2 ;;
		--data-dir) data_dir=$2 ;;
		--packages) packages=$2 ;;
		esac
		shift 2
		;;
	--no-images) images=0 && shift ;;
	--no-systemd) systemd=0 && shift ;;
	--dry-run) dry=1 && shift ;;
	--uninstall) uninstall=1 && shift ;;
	--purge) purge=1 && shift ;;
	-h | --help)
		usage
		exit 0
		;;
	*) die "unknown option $1 (see --help)" ;;
	esac
done

# Check the values before anything changes.
if [ -n "$port" ]; then
	if ! [[ $port =~ ^[0-9]{1,5}$ ]] || [ "$port" -lt 1 ] || [ "$port" -gt 65535 ]; then
		die "--port $port: want a number from 1 to 65535"
	fi
fi
if [ -n "$hostname_opt" ]; then
	[[ $hostname_opt =~ ^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$ ]] || die "--hostname $hostname_opt: want a DNS name such as lab1.example.org"
fi
if [ -n "$email" ]; then
	[[ $email == *@*.* ]] || die "--email $email: want an address such as admin@example.org"
	[ -n "$hostname_opt" ] || die "--email needs --hostname: ACME certifies a DNS name"
fi
if [ -n "$data_dir" ]; then
	[[ $data_dir == /* ]] || die "--data-dir $data_dir: want an absolute path"
fi
[ "$purge" = 1 ] && [ "$uninstall" = 0 ] && die "--purge goes with --uninstall"
[ "$dry" = 1 ] || [ "$(id -u)" = 0 ] || die "run it as root (sudo $0 …), or with --dry-run to see the plan"

# run WHAT COMMAND... runs one step, saying what and how long it took; with
# --dry-run it only says what it would do.
run() {
	local what=$1 start=$SECONDS
	shift
	if [ "$dry" = 1 ]; then
		say "[dry run] $what: $*"
		return 0
	fi
	if "$@"; then
		say "$what… done in $((SECONDS - start)) s"
	else
		local rc=$?
		say "$what… failed after $((SECONDS - start)) s"
		exit "$rc"
	fi
}

have_systemd() { [ "$systemd" = 1 ] && [ -d /run/systemd/system ]; }

apt_install() {
	DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1 apt-get -qq -o Dpkg::Use-Pty=0 \
		-o Dpkg::Options::=--force-confold install -y --no-install-recommends "$@" </dev/null >/tmp/simphony-remote-install.log 2>&1 ||
		{
			cat /tmp/simphony-remote-install.log >&2
			return 1
		}
}

# stop_background stops an appliance this script started without systemd.
stop_background() {
	[ -f "$PIDFILE" ] || return 0
	local pid
	pid=$(cat "$PIDFILE")
	if kill -0 "$pid" 2>/dev/null; then
		kill -INT "$pid"
		for _ in $(seq 1 100); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
	fi
	rm -f "$PIDFILE"
}

# installed lists which of the packages are installed.
installed() {
	local p
	for p in simphony-remote-console simphony-remote; do
		if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed\|config-files"; then
			echo "$p"
		fi
	done
}

if [ "$uninstall" = 1 ]; then
	mapfile -t pkgs < <(installed)
	if have_systemd; then
		run "stopping the service" systemctl disable --now "$UNIT"
	else
		run "stopping the appliance" stop_background
	fi
	if [ "$purge" = 1 ]; then
		data=$(sed -n 's/^data_dir = "\(.*\)"$/\1/p' "$CONFIG" 2>/dev/null || true)
		if [ ${#pkgs[@]} -gt 0 ]; then
			run "purging ${pkgs[*]}" apt-get -qq purge -y "${pkgs[@]}"
		fi
		run "removing the installer's settings" rm -rf "$(dirname "$DROPIN")"
		if [ -n "$data" ] && [ "$data" != "$DEFAULT_DATA" ]; then
			run "removing the data in $data" rm -rf "$data"
		fi
		say "removed SimPhoNy Remote, its data and its configuration"
	else
		if [ ${#pkgs[@]} -gt 0 ]; then
			run "removing ${pkgs[*]}" apt-get -qq remove -y "${pkgs[@]}"
		fi
		say "removed SimPhoNy Remote; its data and /etc/simphony-remote stay (--uninstall --purge removes them)"
	fi
	exit 0
fi

# 1. This machine.
# shellcheck disable=SC1091
. /etc/os-release
case "${ID:-}:${VERSION_ID:-}" in
debian:12 | ubuntu:24.04) say "system: ${PRETTY_NAME:-$ID $VERSION_ID}" ;;
*) die "this is ${PRETTY_NAME:-an unknown system}; the installer supports Debian 12 and Ubuntu 24.04" ;;
esac
arch=$(dpkg --print-architecture)
case "$arch" in
amd64 | arm64) ;;
*) die "architecture $arch: the packages are built for amd64 and arm64" ;;
esac

# 2. The packages.
if [ -z "$packages" ]; then
	packages=$(cd "$(dirname "$0")/.." && pwd)/dist
fi
pick() { find "$packages" -maxdepth 1 -name "$1_*_$arch.deb" 2>/dev/null | sort -V | tail -n 1; }
server=$(pick simphony-remote)
console=$(pick simphony-remote-console)
[ -n "$server" ] || die "no simphony-remote_*_$arch.deb in $packages: build the packages with make package (in a clone of the repository), or pass --packages DIR"
say "package: $server"

# 3. Docker Engine.
if ! command -v docker >/dev/null 2>&1; then
	run "installing Docker Engine (docker.io)" apt_install docker.io
fi
if have_systemd; then
	run "enabling Docker Engine" systemctl enable --now docker.service
fi
if [ "$dry" = 0 ] && ! docker info >/dev/null 2>&1; then
	die "Docker Engine does not answer (docker info failed): start it (systemctl start docker), then run this again"
fi

# 4. Install (or upgrade) the packages. A first install is one without a
# database yet: it gets a new administrator password.
data=${data_dir:-$DEFAULT_DATA}
first=0
[ -e "$data/simphony-remote.db" ] || first=1
debs=("$server")
if [ -n "$console" ] && compgen -G "/usr/share/xsessions/*.desktop" >/dev/null; then
	debs+=("$console")
fi
run "installing ${debs[*]##*/}" apt_install "${debs[@]}"

# 5. The configuration: the installer's options, in the documented file.
set_key() { # set_key KEY VALUE (a TOML value) in $CONFIG
	sed -i "s|^$1 = .*|$1 = $2|" "$CONFIG"
	grep -q "^$1 = " "$CONFIG" || die "$CONFIG has no line \"$1 = …\""
}
configure() {
	local listen=":${port:-443}"
	set_key listen "\"$listen\""
	set_key data_dir "\"$data\""
	if [ -n "$hostname_opt" ]; then
		set_key hostnames "[\"$hostname_opt\"]"
	fi
	if [ -n "$email" ]; then
		set_key email "\"$email\""
	fi
	if [ "$data" != "$DEFAULT_DATA" ]; then
		install -d -m 0750 -o "$SERVICE_USER" -g "$SERVICE_USER" "$data"
		install -d "$(dirname "$DROPIN")"
		printf '[Service]\nReadWritePaths=%s\n' "$data" >"$DROPIN"
	fi
}
run "configuring $CONFIG" configure

# 6. Start (or restart) it with that configuration.
start() {
	local marker
	marker=$(mktemp)
	touch -d '1 second ago' "$marker" # (timestamps of one second, on some file systems)
	if have_systemd; then
		systemctl daemon-reload
		systemctl enable "$UNIT" >/dev/null 2>&1
		systemctl restart "$UNIT"
	else
		stop_background
		touch "$LOGFILE"
		chmod 0640 "$LOGFILE"
		# As the unit runs it: root, with the group simphony-remote (its
		# admin socket's), umask 0007.
		(
			umask 0007
			exec setsid setpriv --regid="$SERVICE_USER" --clear-groups \
				/usr/bin/simphony-remote serve --config "$CONFIG" >>"$LOGFILE" 2>&1 </dev/null
		) &
		echo $! >"$PIDFILE"
	fi
	# It is up when it made its admin socket (after it opened the database).
	for _ in $(seq 1 300); do
		if [ -S "$data/admin.sock" ] && [ "$data/admin.sock" -nt "$marker" ]; then
			rm -f "$marker"
			return 0
		fi
		sleep 0.2
	done
	rm -f "$marker"
	echo "the appliance did not answer within 60 s; its log: $(have_systemd && echo "journalctl -u $UNIT" || echo "$LOGFILE")" >&2
	return 1
}
run "starting the appliance" start

# 7. The first administrator's password, on the first install.
password=""
if [ "$first" = 1 ] && [ "$dry" = 0 ]; then
	password=$(head -c 18 /dev/urandom | base64 | tr '+/' 'xy')
	run "setting the administrator's password" sh -c "printf '%s\n' \"\$1\" | simphony-remote db --config $CONFIG user set-password admin --password-stdin >/dev/null" sh "$password"
fi

# 8. The starter images, granted to the administrator.
if [ "$images" = 1 ]; then
	run "building the starter images (about two minutes the first time)" simphony-remote image build-starters
	grant() {
		local img
		for img in "${DEMO_APPS[@]}"; do
			simphony-remote db --config "$CONFIG" app create "$img" >/dev/null 2>&1 || true
			simphony-remote db --config "$CONFIG" app grant "$img" admin --allow-home --allow-view >/dev/null
		done
	}
	run "granting the starter applications to admin" grant
fi

# 9. What to open.
[ "$dry" = 1 ] && exit 0
root="$data/caddy/pki/authorities/local/root.crt"
for _ in $(seq 1 100); do
	[ -e "$root" ] && break
	sleep 0.1
done
# The address serve prints when it starts.
if have_systemd; then
	url=$(journalctl -u "$UNIT" -b --no-pager -o cat 2>/dev/null | sed -n 's/^SimPhoNy Remote is running at //p' | tail -n 1)
else
	url=$(sed -n 's/^SimPhoNy Remote is running at //p' "$LOGFILE" | tail -n 1)
fi
say "SimPhoNy Remote runs at ${url:-https://localhost:${port:-443}/}"
if [ -z "$hostname_opt" ]; then
	say "for other machines, give it the name they use: install.sh --hostname NAME (with a DNS record for NAME and *.NAME)"
fi
if [ -n "$password" ]; then
	say "administrator: admin, password: $password (shown only this once; change it with: simphony-remote db user set-password admin)"
else
	say "administrator: unchanged (a new password: sudo simphony-remote db user set-password admin)"
fi
if [ -e "$root" ]; then
	# The SHA-256 of the certificate (DER), as the sign-in page shows it.
	fingerprint=$(sed '/-----/d' "$root" | base64 -d | sha256sum | cut -c1-64 | tr 'a-f' 'A-F' | sed 's/../&:/g; s/:$//')
	say "certificate authority: $root, SHA-256 fingerprint $fingerprint"
fi
