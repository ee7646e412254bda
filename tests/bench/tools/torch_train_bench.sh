#!/bin/sh
# torch_train_bench.sh - run torch_train_bench.py as the issue asks: OMP_WAIT_POLICY=PASSIVE (idle
# OpenMP threads sleep instead of spinning on a shared machine), torch.set_num_threads per case,
# and the BLAS that torch's sgemm calls: Debian's python3-torch calls the system libblas.so.3
# (BLAS_INFO=generic), which is netlib's reference BLAS (~1 GFLOP/s) unless OpenBLAS is installed.
# $XLREC_OPENBLAS_LIB names a folder holding OpenBLAS's libblas.so.3 + libopenblas.so.0 (e.g. from
# `apt-get download libopenblas0-openmp; dpkg-deb -x ...`: the OpenMP build shares torch's libgomp
# threads and was the faster of the two here, docs/training.md), put first on LD_LIBRARY_PATH for
# this command only; OPENBLAS_CORETYPE is set to the CPU's best kernel (Haswell for AVX2, SkylakeX for
# AVX-512) unless already set.  OpenBLAS's own threads: OPENBLAS_NUM_THREADS as given (bench_train's
# grid sets it, and OMP_NUM_THREADS, to the case's threads: torch runs each matrix product as one BLAS
# call, so its 2-thread cases need a 2-thread BLAS), else 1.  --case and --info go to the script.
set -u
py=/usr/bin/python3
[ -x "$py" ] || py=python3
if [ -z "${OPENBLAS_CORETYPE:-}" ]; then
    if grep -q avx512f /proc/cpuinfo 2>/dev/null; then OPENBLAS_CORETYPE=SkylakeX
    elif grep -q avx2 /proc/cpuinfo 2>/dev/null; then OPENBLAS_CORETYPE=Haswell; fi
fi
OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}
export OPENBLAS_CORETYPE OMP_WAIT_POLICY=PASSIVE OPENBLAS_NUM_THREADS
if [ -n "${XLREC_OPENBLAS_LIB:-}" ]; then
    export LD_LIBRARY_PATH="$XLREC_OPENBLAS_LIB${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
case "${1:-}" in --case) exec $py "$(dirname "$0")/torch_train_bench.py" "$@";; esac
blas=$($py -c 'import torch; print([l.split()[-1] for l in open("/proc/self/maps") if "blas" in l][0])' 2>/dev/null)
echo "torch's BLAS: ${blas:-unknown}; OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset} OMP_WAIT_POLICY=PASSIVE"
case "$blas" in *openblas*) ;; *) echo "warning: torch uses the reference BLAS; set XLREC_OPENBLAS_LIB (see this script) for a fair comparison";; esac
exec $py "$(dirname "$0")/torch_train_bench.py" "$@"
