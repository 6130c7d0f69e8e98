#!/usr/bin/env bash
# The end-to-end advertiser dataset on embedded SQLite (see bench/README.md):
#   bench/dataset.sh [--subjects S] [--events N] [--runs R]
# Builds the benchmarks in Release, seeds S consented adults and N advertising events into a new data
# folder (subjects in bulk, events through the real intake), then, in a fresh process on the same
# stores, times AdvertiserDatasets.WriteAsync R times and prints rows, suppressed rows, information
# loss and the process's peak working set. The folder is removed afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
subjects=20000
events=1000000
runs=2
while [[ $# -gt 0 ]]; do
  case "$1" in
    --subjects) subjects=$2; shift 2 ;;
    --events) events=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    *) echo "usage: $0 [--subjects S] [--events N] [--runs R]" >&2; exit 2 ;;
  esac
done

dotnet build -c Release bench/Konzen.Privacy.Benchmarks >/dev/null
bench=bench/Konzen.Privacy.Benchmarks/bin/Release/net10.0/Konzen.Privacy.Benchmarks.dll
folder=$(mktemp -d -t konzen-dataset-XXXXXX)
trap 'rm -rf "$folder"' EXIT
dotnet "$bench" dataset-seed --folder "$folder" --subjects "$subjects" --events "$events"
dotnet "$bench" dataset-run --folder "$folder" --runs "$runs"
