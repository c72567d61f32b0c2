#!/usr/bin/env bash
# Packs the WebGPU benchmark for a machine that has a GPU driver but no Node and no network:
#   .gpubench/  Node itself, the benchmark and its decoding thread bundled into two files, and the packages
#               loaded at run time (Dawn's dawn.node, onnxruntime-web's WebGPU build, the native image
#               decoder), in one .tar.xz
#   .gl/        the Vulkan loader and libglvnd as Debian packages (the GPU machine's driver ships without them)
# Both are git-ignored; copy them (with the repository) to the GPU machine and run bench/gpu/run.sh there.
# Here: bash bench/gpu/prepare.sh   (about a minute; needs apt-get download for .gl/ the first time)
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! ls .gl/libvulkan1_*.deb > /dev/null 2>&1; then
  mkdir -p .gl /tmp/amd64-lists/partial
  apt=(-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64-lists)
  apt-get "${apt[@]}" update > /dev/null
  (cd .gl && apt-get "${apt[@]}" download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2)
fi

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/pack/node_modules"
cp "$(command -v node)" "$stage/pack/node"
# The benchmark: everything bundled but the packages that load native code or wasm files beside themselves.
# CommonJS inside the bundle gets a real require. The decoding thread is its own bundle; DecodeThreads names
# it as ./decodeThread.ts beside ./threadBoot.mjs, so the boot file here imports the bundle instead. run.sh
# unpacks this one folder below the repository's root, where the bundle finds the repository (its ROOT is
# its folder's parent: public/models/default, bench/out) and its packages (./node_modules).
banner="import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);"
esbuild=node_modules/.bin/esbuild
"$esbuild" bench/node-bench.ts --bundle --platform=node --format=esm --target=node20 --log-level=warning \
  --external:webgpu --external:onnxruntime-web --external:onnxruntime-node --external:@napi-rs/image \
  --banner:js="$banner" --outfile="$stage/pack/node-bench.mjs"
"$esbuild" src/cli/decodeThread.ts --bundle --platform=node --format=esm --target=node20 --log-level=warning \
  --external:@napi-rs/image --banner:js="$banner" --outfile="$stage/pack/decodeThread.mjs"
cat > "$stage/pack/threadBoot.mjs" <<'BOOT'
import { workerData } from 'node:worker_threads';
await import(workerData.module.replace(/\.ts$/, '.mjs'));
BOOT
# Runtime packages, this platform's files only.
mkdir -p "$stage/pack/node_modules/webgpu/dist/linux-x64" "$stage/pack/node_modules/onnxruntime-web/dist"
cp node_modules/webgpu/{package.json,index.js} "$stage/pack/node_modules/webgpu/"
cp node_modules/webgpu/dist/linux-x64/dawn.node "$stage/pack/node_modules/webgpu/dist/linux-x64/"
cp node_modules/onnxruntime-web/package.json "$stage/pack/node_modules/onnxruntime-web/"
cp node_modules/onnxruntime-web/dist/{ort.webgpu.bundle.min.mjs,ort-wasm-simd-threaded.asyncify.wasm,ort-wasm-simd-threaded.asyncify.mjs} \
  "$stage/pack/node_modules/onnxruntime-web/dist/"
# The native image decoder the decoding threads use (this platform's binary).
napi=node_modules/@napi-rs
mkdir -p "$stage/pack/$napi/image" "$stage/pack/$napi/image-linux-x64-gnu"
cp $napi/image/{package.json,index.js} "$stage/pack/$napi/image/"
cp $napi/image-linux-x64-gnu/{package.json,image.linux-x64-gnu.node} "$stage/pack/$napi/image-linux-x64-gnu/"
mkdir -p .gpubench
tar -C "$stage/pack" -cf - . | xz -T0 -6 > .gpubench/pack.tar.xz
du -h .gpubench/pack.tar.xz .gl
