#!/usr/bin/env bash
# Spark GPU discovery script (spark.{driver,executor}.resource.gpu.discoveryScript): prints the
# GPU indices this container can see as {"name":"gpu","addresses":["0","1"]}, and an empty list
# when nvidia-smi is absent, so Spark reports "no GPUs" instead of failing to parse.
set -euo pipefail

if ! command -v nvidia-smi >/dev/null 2>&1; then
  echo '{"name":"gpu","addresses":[]}'
  exit 0
fi

addresses=""
while IFS= read -r index; do
  index="${index//[[:space:]]/}"
  if [[ -n "$index" ]]; then
    addresses+="${addresses:+,}\"$index\""
  fi
done < <(nvidia-smi --query-gpu=index --format=csv,noheader)

echo "{\"name\":\"gpu\",\"addresses\":[$addresses]}"
