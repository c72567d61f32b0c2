#!/usr/bin/env bash
# On a GPU machine (no Node, no network), after bench/gpu/prepare.sh here and with .gpubench/ and .gl/
# copied beside the repository: the Node benchmark on WebGPU through Dawn and the machine's Vulkan driver, the
# default model and then ZFNet-512's geometry, each model's figures in its own JSON file as soon as it is done.
#   bash bench/gpu/run.sh [--quick] [--model default|zfnet512|both]      results: $OUT or bench/out/gpu
# Where no Vulkan loader is installed, the one in .gl/ is unpacked into / (only on a machine with an NVIDIA
# driver under /usr/local/nvidia; elsewhere set LD_LIBRARY_PATH and VK_DRIVER_FILES yourself).
set -uo pipefail
cd "$(dirname "$0")/../.."
quick=()
models=(default zfnet512)
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=(--quick) ;;
    --model) shift; [ "${1:-both}" = both ] || models=("$1") ;;
    *) echo "unknown argument $1 (use --quick, --model default|zfnet512|both)" >&2; exit 2 ;;
  esac
  shift
done
out=${OUT:-bench/out/gpu}
mkdir -p "$out"
nvidia=/usr/local/nvidia
if [ -d "$nvidia" ] && ! ldconfig -p | grep -q 'libvulkan.so.1 '; then
  for f in .gl/*.deb; do dpkg -x "$f" /; done
  ldconfig
fi
[ -d "$nvidia" ] && export VK_DRIVER_FILES=${VK_DRIVER_FILES:-$nvidia/share/vulkan/icd.d/nvidia_icd.json}
rm -rf .gpurun && mkdir .gpurun
if command -v xz > /dev/null; then
  xz -dc .gpubench/pack.tar.xz | tar -C .gpurun -xf - || exit 1
else # Python's tarfile reads .xz itself
  python3 -c "import tarfile; tarfile.open('.gpubench/pack.tar.xz').extractall('.gpurun')" || exit 1
fi
{
  command -v nvidia-smi > /dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv
  echo "cores: $(nproc)"
} | tee "$out/machine.txt"
status=0
for model in "${models[@]}"; do
  .gpurun/node .gpurun/node-bench.mjs --backend webgpu --model "$model" "${quick[@]}" \
    --json "$out/webgpu-$model.json" 2>&1 | tee "$out/webgpu-$model.log" || status=1
done
exit $status
