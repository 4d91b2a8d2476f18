# Sourced by the scripts: loopback port helpers.

# A free TCP port on 127.0.0.1.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# Whether something listens on 127.0.0.1:PORT.
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Waits up to SECONDS for 127.0.0.1:PORT to listen; fails if it does not.   wait_port PORT SECONDS
wait_port() {
  for _ in $(seq 1 $(($2 * 4))); do listening "$1" && return 0; sleep 0.25; done
  return 1
}
