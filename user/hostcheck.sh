#!/bin/sh
# hostcheck.sh: build the user programs and run the oracle-compared tests
# natively on this Linux, each twice on a pseudo-terminal (script -qec), checking
# they pass, that fault programs die of the signal in expect.txt, and that the
# two runs print identical output. Outputs are left in $OUT/host-out/NAME.out
# (the oracle). Never runs forkbomb, init, yes or the benchmarks.
#   sh user/hostcheck.sh [OUT]     (OUT defaults to a temporary directory)
set -u
here=$(cd "$(dirname "$0")" && pwd)
OUT=${1:-$(mktemp -d)}
case $OUT in /*) ;; *) OUT=$(pwd)/$OUT ;; esac
make -s -C "$here" OUT="$OUT" || exit 1
mkdir -p "$OUT/host-out"
cd "$OUT" || exit 1
fail=0
# name|command line (run from $OUT with PATH=$OUT, so argv[0] is the bare name)
tests='hello|hello
args|args one "two words"
syscalls|syscalls
forktest|forktest
cowtest|cowtest
cowtest_faults|cowtest faults
exectest|exectest '"$OUT"'
orphan|orphan
manychildren|manychildren
pthreads|pthreads
signals|signals
sigdefault|sigdefault
pipetest|pipetest '"$OUT"'
fifotest|fifotest
tmpfs|tmpfs
true|true
false|false
fault_null|fault_null
fault_text|fault_text
fault_hlt|fault_hlt
fault_ud2|fault_ud2
fault_div0|fault_div0
fault_int3|fault_int3
fault_stack|fault_stack
fault_kptr|fault_kptr'
echo 1 >"$OUT/host-out/.failed"
echo "$tests" | while IFS='|' read -r name cmd; do
	prog=${cmd%% *}
	want=0
	line=$(grep "^$prog " "$here/expect.txt")
	if [ -n "$line" ]; then
		set -- $line
		if [ "$2" = exit ]; then want=$3; else
			case $3 in
			SIGILL) want=132 ;; SIGTRAP) want=133 ;; SIGABRT) want=134 ;; SIGBUS) want=135 ;;
			SIGFPE) want=136 ;; SIGKILL) want=137 ;; SIGSEGV) want=139 ;; SIGPIPE) want=141 ;;
			*) echo "unknown signal $3"; want=-1 ;;
			esac
		fi
	fi
	ok=1
	for run in 1 2; do
		env -i PATH="$OUT" HOME=/ TERM=vt100 /usr/bin/script -qec "exec $cmd" /dev/null \
			</dev/null >"$OUT/host-out/$name.$run" 2>&1
		rc=$?
		[ "$rc" = "$want" ] || { echo "FAIL $name: run $run exit $rc, want $want"; ok=0; }
	done
	cmp -s "$OUT/host-out/$name.1" "$OUT/host-out/$name.2" || { echo "FAIL $name: runs differ"; ok=0; }
	if grep -q '^not ok' "$OUT/host-out/$name.1"; then echo "FAIL $name: not ok lines"; ok=0; fi
	mv "$OUT/host-out/$name.1" "$OUT/host-out/$name.out"
	rm -f "$OUT/host-out/$name.2"
	[ $ok = 1 ] && echo "pass $name" || echo 1 >"$OUT/host-out/.bad"
done && rm -f "$OUT/host-out/.failed"
[ -e "$OUT/host-out/.bad" ] && echo 1 >"$OUT/host-out/.failed"
rm -f "$OUT/host-out/.bad"
if [ -e "$OUT/host-out/.failed" ]; then rm -f "$OUT/host-out/.failed"; echo "hostcheck: FAILED"; exit 1; fi
echo "hostcheck: all passed (outputs in $OUT/host-out)"
