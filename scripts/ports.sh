# Sourced by the other scripts: loopback port helpers.

# True when something listens on 127.0.0.1:$1.
port_taken() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# The first free port from $1 on.
free_port() {
    local p="$1"
    while port_taken "$p"; do p=$((p + 1)); done
    echo "$p"
}
