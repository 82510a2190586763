#!/usr/bin/env bash
# Regenerate the gRPC/protobuf Python code (and .pyi stubs) into fintract/api/.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
OUT=${1:-.}
export PATH="$(cd "$(dirname "$PY")" && pwd):$PATH"
find "$OUT/fintract/api" -name '*_pb2*.py*' -delete 2>/dev/null || true
mapfile -t PROTOS < <(find protos -name '*.proto' | sort)
"$PY" -m grpc_tools.protoc -Iprotos \
  --python_out="$OUT" --grpc_python_out="$OUT" \
  --mypy_out="$OUT" --mypy_grpc_out="$OUT" \
  "${PROTOS[@]}"
for proto in "${PROTOS[@]}"; do
  dir="$OUT/$(dirname "${proto#protos/}")"
  d="$dir"
  while [ "$d" != "$OUT" ] && [ "$d" != "$OUT/fintract" ]; do
    [ -f "$d/__init__.py" ] || : > "$d/__init__.py"
    d=$(dirname "$d")
  done
done
