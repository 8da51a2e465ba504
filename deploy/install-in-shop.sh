#!/usr/bin/env bash
# Install (or update) the shop on its own machine: an old laptop or a Raspberry Pi 4/5 with
# 64-bit Debian 12 on the shop's Wi-Fi. Run as root, from a checkout or with a wheel:
#
#   sudo deploy/install-in-shop.sh                            # the app from this checkout
#   sudo deploy/install-in-shop.sh shop-0.1.0-py3-none-any.whl
#
# It asks for the shop's name on the Wi-Fi (newme -> https://newme.local), or takes SHOP_NAME.
# SHOP_LAN_IP=192.168.1.10 names the machine's address on the Wi-Fi when it guesses wrong;
# SHOP_PLAIN_HTTP=yes also serves the shop over plain http:// (no offline counter there).
# Running it again keeps the data, the secret key and the settings, and updates the rest.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
venv=/srv/shop/venv
say() { printf '== %s\n' "$*"; }

[ "$(id -u)" = 0 ] || { echo "Run as root: sudo $0 $*" >&2; exit 1; }

# What to install: a wheel given as the argument, or the checkout this script is in.
if [ $# -ge 1 ]; then
  source=$(realpath "$1")
  [ -f "$source" ] || { echo "No such wheel: $1" >&2; exit 1; }
else
  source=$(dirname "$here")
  [ -f "$source/pyproject.toml" ] || { echo "Give the wheel: $0 shop-….whl" >&2; exit 1; }
fi

# The shop's name on the Wi-Fi; kept from the last run unless given.
previous=$(sed -n 's/^SHOP_HOSTNAME=\(.*\)\.local$/\1/p' /etc/shop/caddy.env 2>/dev/null || true)
name=${SHOP_NAME:-}
if [ -z "$name" ]; then
  read -r -p "The shop's name on the Wi-Fi (small letters, digits, -)${previous:+ [$previous]}: " name || true
  name=${name:-$previous}
fi
name=$(printf '%s' "$name" | tr 'A-Z' 'a-z')
if ! printf '%s' "$name" | grep -Eq '^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$'; then
  echo "A name of small letters, digits and -, like newme (phones then open newme.local)" >&2
  exit 1
fi
# The address on the Wi-Fi: the one the machine's default route leaves from.
lan_ip=${SHOP_LAN_IP:-$(ip -4 route get 1.1.1.1 2>/dev/null | sed -n 's/.* src \([0-9.]*\).*/\1/p')}
[ -n "$lan_ip" ] || { echo "No network address found: set SHOP_LAN_IP=192.168.…" >&2; exit 1; }
plain=${SHOP_PLAIN_HTTP:-no}
[ "$plain" = yes ] || plain=no

say "Debian packages"
export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=600 update -qq
# Pango for WeasyPrint (the PDF statements and receipts): the app does not start without it.
apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends \
  python3-venv caddy avahi-daemon libnss-mdns openssl curl \
  libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 >/dev/null

say "The shop user and its folders"
id shop >/dev/null 2>&1 || adduser --system --group --home /var/lib/shop --no-create-home shop
install -d -o shop -g shop -m 0750 /var/lib/shop
install -d -o root -g shop -m 0750 /etc/shop

say "The app into $venv (from $source)"
# Debian's own Python, which the shop user can run (not one under a home folder).
[ -x "$venv/bin/python" ] || /usr/bin/python3 -m venv "$venv"
"$venv/bin/pip" install -q --upgrade "$source"

say "Settings in /etc/shop/shop.env"
if [ ! -f /etc/shop/shop.env ]; then
  install -o root -g shop -m 0640 "$here/shop.env" /etc/shop/shop.env
fi
set_setting() {  # KEY VALUE: replace the line, or add it
  if grep -q "^$1=" /etc/shop/shop.env; then
    sed -i "s|^$1=.*|$1=$2|" /etc/shop/shop.env
  else
    printf '%s=%s\n' "$1" "$2" >>/etc/shop/shop.env
  fi
}
grep -Eq '^SECRET_KEY=.{16,}' /etc/shop/shop.env || set_setting SECRET_KEY "$(openssl rand -hex 32)"
# A cookie marked secure is never sent over plain http: the shop would sign nobody in there.
if [ "$plain" = yes ]; then set_setting SHOP_SECURE_COOKIES false; else set_setting SHOP_SECURE_COOKIES true; fi
set_setting SHOP_PROXIES 1
cat >/etc/shop/caddy.env <<CADDY
SHOP_HOSTNAME=$name.local
SHOP_LAN_IP=$lan_ip
SHOP_PLAIN_HTTP=$plain
CADDY
chmod 0644 /etc/shop/caddy.env

# `shop members create …`, `shop backup`…: the app's command line as the shop user.
install -m 0755 "$here/shop-cli" /usr/local/bin/shop

say "The name $name.local on the Wi-Fi (avahi)"
if [ "$(cat /etc/hostname 2>/dev/null)" != "$name" ]; then
  echo "$name" >/etc/hostname
  hostname "$name" 2>/dev/null || echo "   (the name takes effect at the next start of the machine)"
fi
if grep -q '^127\.0\.1\.1' /etc/hosts; then
  sed -i "s/^127\.0\.1\.1.*/127.0.1.1\t$name/" /etc/hosts
else
  printf '127.0.1.1\t%s\n' "$name" >>/etc/hosts
fi

say "gunicorn as the service shop, Caddy in front of it"
install -m 0644 "$here/shop.service" /etc/systemd/system/shop.service
install -m 0644 "$here/backup/shop-backup.service" "$here/backup/shop-backup.timer" /etc/systemd/system/
install -m 0644 "$here/shop-health.service" "$here/shop-health.timer" /etc/systemd/system/
[ -f /etc/caddy/Caddyfile.debian ] || cp /etc/caddy/Caddyfile /etc/caddy/Caddyfile.debian
install -m 0644 "$here/Caddyfile.shop" /etc/caddy/Caddyfile
install -d /etc/systemd/system/caddy.service.d
printf '[Service]\nEnvironmentFile=/etc/shop/caddy.env\n' >/etc/systemd/system/caddy.service.d/shop.conf

root_crt=/var/lib/caddy/.local/share/caddy/pki/authorities/local/root.crt
if [ -d /run/systemd/system ]; then
  systemctl daemon-reload
  systemctl enable -q shop caddy avahi-daemon
  systemctl enable -q --now shop-backup.timer shop-health.timer
  systemctl restart shop
  systemctl restart caddy avahi-daemon
  for _ in $(seq 30); do [ -f "$root_crt" ] && break; sleep 1; done
else
  systemctl enable -q shop caddy avahi-daemon shop-backup.timer shop-health.timer 2>/dev/null || true
  echo "   systemd is not running here: the services start with the machine"
fi

say "Done"
echo "The counter on this machine:  http://localhost:8000/counter/"
echo "Phones on the Wi-Fi:          https://$name.local/  or  https://$lan_ip/"
[ "$plain" = yes ] && echo "Plain HTTP as well:           http://$name.local/  (no offline counter)"
echo "Each phone first installs the shop's certificate from http://$lan_ip/shop-ca.crt"
if [ -f "$root_crt" ]; then
  echo "Its SHA-256 fingerprint, to compare on the phone:"
  openssl x509 -in "$root_crt" -noout -fingerprint -sha256 | sed 's/^.*=/   /'
fi
echo "The first coordinator: open the shop in a browser, or"
echo "   sudo shop members create --name \"Nguyễn Thị Hồng\" --phone 0912000001 --pin 2468 --role coordinator"
