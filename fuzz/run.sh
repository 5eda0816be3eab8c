#!/usr/bin/env bash
# Fuzz the ingest for a bounded time (not part of CI).
#
#   fuzz/run.sh [SECONDS]        default 600
#
# Needs the nightly toolchain and cargo-fuzz (`rustup toolchain install
# nightly`, `cargo install cargo-fuzz`). The target (fuzz/fuzz_targets/ingest.rs)
# splits each input into sales, inventory, items, purchase-order, backorder and
# events files (see tests/common/fuzz_input.rs), loads them and builds the
# demand panel; a panic, a hang (> 10 s) or non-finite demand is a finding.
# Seeds are the first lines of the sample files. Findings land in
# fuzz/artifacts/ingest/: copy each to tests/fixtures/fuzz/ once fixed, where
# tests/fuzz_regressions.rs replays it through the binary in CI.
set -euo pipefail
cd "$(dirname "$0")"
secs="${1:-600}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/replenish-fuzz-target}"
corpus=corpus/ingest
mkdir -p "$corpus"
if [ -z "$(ls -A "$corpus")" ]; then
    sample=../data/sample
    for lines in 3 12 60; do
        for flag in 0 1; do
            {
                printf "\\x0$flag"
                first=1
                for f in sales inventory items purchase_orders backorders events; do
                    [ $first = 1 ] || printf '\x1e'
                    first=0
                    [ -f "$sample/$f.csv" ] && head -n "$lines" "$sample/$f.csv"
                done
            } > "$corpus/sample-$lines-$flag"
        done
    done
    cp ../tests/fixtures/fuzz/* "$corpus/" 2>/dev/null || true
fi
cargo +nightly fuzz run --sanitizer none ingest "$corpus" -- \
    -max_total_time="$secs" -timeout=10 -rss_limit_mb=4096 -max_len=65536 \
    -print_final_stats=1
