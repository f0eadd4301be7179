# Puts Node.js 24 LTS on PATH when the machine's own node is older (Debian 12 ships 18/20).
# The npm registry carries Node's official Linux binary as the package node-linux-<arch>
# (bin/node inside the tarball); it is unpacked once into a cache folder and reused.
#
#   source .ci/node24.sh          # in a shell or a script: PATH gets Node 24 if needed
#   bash .ci/node24.sh            # prints the folder that holds the node binary
#
# FAREGATE_NODE_VERSION overrides the pinned version; FAREGATE_NODE_CACHE the cache folder.
fg_node_version="${FAREGATE_NODE_VERSION:-24.22.3}"
fg_node_major() { command -v node >/dev/null 2>&1 && node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if [ "$(fg_node_major)" -lt 24 ]; then
  case "$(uname -m)" in
    x86_64) fg_node_arch=x64 ;;
    aarch64 | arm64) fg_node_arch=arm64 ;;
    *) echo "node24.sh: no Node 24 package for $(uname -m); install Node 24 from NodeSource" >&2; return 1 2>/dev/null || exit 1 ;;
  esac
  fg_node_dir="${FAREGATE_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/faregate}/node-v${fg_node_version}-${fg_node_arch}"
  if [ ! -x "$fg_node_dir/bin/node" ]; then
    fg_node_tmp="$(mktemp -d)"
    (cd "$fg_node_tmp" && npm pack --silent "node-linux-${fg_node_arch}@${fg_node_version}" >/dev/null)
    mkdir -p "$fg_node_dir"
    tar -xzf "$fg_node_tmp"/node-linux-*.tgz -C "$fg_node_dir" --strip-components=1
    rm -rf "$fg_node_tmp"
  fi
  export PATH="$fg_node_dir/bin:$PATH"
fi
# Run as a script (not sourced): print where node lives.
if [ "${BASH_SOURCE[0]:-$0}" = "$0" ]; then dirname "$(command -v node)"; fi
unset -f fg_node_major
