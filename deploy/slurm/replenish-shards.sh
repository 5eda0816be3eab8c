#!/usr/bin/env bash
# replenish on a Slurm cluster: a job array forecasts one shard per task, and
# a dependent job merges the parts into the report.
#
#   deploy/slurm/replenish-shards.sh /shared/input /shared/reports 2026-11-23 8 [config.toml]
#
# Input and reports must be on a file system every node sees. The binary is
# taken from $REPLENISH (default: `replenish` on the PATH). Where
# /usr/bin/time exists (Debian's `time`), every job's log (slurm-*.out) ends
# with a line "replenish peak N KB, S s": its peak memory and wall time.
# Each job asks for $SHARD_MEM / $MERGE_MEM of memory (default 6G, enough
# for about 100,000 series; of a million series in 16 shards, a shard peaks
# near 5.2 GB and the merge near 8.1 GB: give the merge 9G; see
# docs/scale.md) and $JOB_TIME (default 01:00:00).
set -euo pipefail
if [ $# -lt 4 ]; then
    echo "usage: $0 INPUT_DIR REPORTS_DIR AS_OF SHARDS [CONFIG]" >&2
    exit 2
fi
input=$1 reports=$2 as_of=$3 shards=$4 config=${5:-}
bin=${REPLENISH:-replenish}
common=(--quiet --data "$input" --out "$reports" --as-of "$as_of")
[ -n "$config" ] && common+=(--config "$config")
printf -v args '%q ' "${common[@]}"
timed=""
[ -x /usr/bin/time ] && timed="/usr/bin/time -f 'replenish peak %M KB, %e s'"

array=$(sbatch --parsable --job-name=replenish-shard --array=0-$((shards - 1)) \
    --cpus-per-task=2 --mem="${SHARD_MEM:-6G}" --time="${JOB_TIME:-01:00:00}" \
    --wrap="$timed $bin run $args --threads \${SLURM_CPUS_PER_TASK} --shard \${SLURM_ARRAY_TASK_ID}/$shards")
merge=$(sbatch --parsable --job-name=replenish-merge --dependency=afterok:"$array" \
    --cpus-per-task=2 --mem="${MERGE_MEM:-6G}" --time="${JOB_TIME:-01:00:00}" \
    --wrap="$timed $bin merge $args")
echo "shards: job $array (array of $shards); merge: job $merge, writes $reports/$as_of/"
