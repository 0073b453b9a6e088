# Sourced by the HTTP benchmarks (run-http-bench.sh, http-syscalls.sh).

# make_site DIR [with-64m]: the files every server serves, under DIR/www (random bytes).
make_site() {
  mkdir -p "$1/www"
  head -c 1024 /dev/urandom > "$1/www/1k.bin"
  head -c 16384 /dev/urandom > "$1/www/16k.bin"
  head -c 1048576 /dev/urandom > "$1/www/1m.bin"
  if [ "${2:-}" = with-64m ]; then head -c 67108864 /dev/urandom > "$1/www/64m.bin"; fi
}

# write_nginx_conf DIR [PORT]: writes the nginx configuration they all compare against to $1/nginx.conf
# (sendfile on; tcp_nopush on; one worker per core; open_file_cache; root $1/www; pid $1/nginx.pid), listening
# on 127.0.0.1:${2:-18081}.
write_nginx_conf() {
  cat > "$1/nginx.conf" <<CONF
user root;
worker_processes $(nproc);
pid $1/nginx.pid;
error_log $1/error.log;
daemon on;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  tcp_nodelay on;
  keepalive_requests 10000000;
  open_file_cache max=1000 inactive=60s;
  default_type application/octet-stream;
  server { listen 127.0.0.1:${2:-18081}; root $1/www; }
}
CONF
}
