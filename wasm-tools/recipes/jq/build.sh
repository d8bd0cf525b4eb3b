# jq: jq 1.6 (Debian's jq) as a WASI preview1 command module, jq.wasm, with
# regular expressions (test, match, capture, sub, gsub, splits) from Debian's
# libonig (Oniguruma) built for WASI too. Neither source ships a generated
# configure script, so both are compiled directly with the settings below.
source "$GOODBOT_LIB/common.sh"
wasi_toolchain

onig="$GOODBOT_WORK/libonig"
jq="$GOODBOT_WORK/jq"
debian_source libonig/bookworm "$onig"
debian_source jq/bookworm "$jq"
obj="$GOODBOT_WORK/obj"
mkdir -p "$obj/onig" "$obj/jq"

# compile_all OUTDIR FLAGS... -- FILES...: $JOBS compiles at a time
compile_all() {
  local out="$1"; shift
  local flags=()
  while [ "$1" != "--" ]; do flags+=("$1"); shift; done
  shift
  printf '%s\n' "$@" | xargs -P "$JOBS" -I{} sh -c \
    'out=$1; file=$2; shift 2; exec "$@" -c "$file" -o "$out/$(basename "$file" .c).o"' \
    sh "$out" {} $CC $CFLAGS "${flags[@]}"
}

step "compiling oniguruma $(dpkg-parsechangelog -l "$onig/debian/changelog" -S Version)"
cp "$GOODBOT_RECIPE/onig-config.h" "$onig/src/config.h"
# the sources of libonig_la in src/Makefile.am, minus the POSIX/GNU API shims
onig_sources=(regparse regcomp regexec regenc regerror regext regsyntax regtrav
  regversion st unicode unicode_unfold_key unicode_fold1_key unicode_fold2_key
  unicode_fold3_key ascii utf8 utf16_be utf16_le utf32_be utf32_le euc_jp
  euc_jp_prop sjis sjis_prop iso8859_1 iso8859_2 iso8859_3 iso8859_4 iso8859_5
  iso8859_6 iso8859_7 iso8859_8 iso8859_9 iso8859_10 iso8859_11 iso8859_13
  iso8859_14 iso8859_15 iso8859_16 euc_tw euc_kr big5 gb18030 koi8_r cp1251
  onig_init)
compile_all "$obj/onig" -I"$onig/src" -Wno-deprecated-declarations -- \
  $(printf "$onig/src/%s.c " "${onig_sources[@]}")
$AR rcs "$GOODBOT_WORK/libonig.a" "$obj/onig"/*.o

version="$(sh "$jq/scripts/version")"
step "compiling jq $version"
printf '#define JQ_VERSION "%s"\n' "$version" >"$jq/src/version.h"
sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$/\\n"/' "$jq/src/builtin.jq" >"$jq/src/builtin.inc"
# What jq's configure would find in wasi-libc. No pthreads (jq falls back to
# globals); libm's `gamma` is missing: it is lgamma under another name (as in
# glibc and musl); mkstemp, realpath and getpwuid come from wasi-stubs, and
# pthread_once from include/pthread.h.
jq_defines=(-D_GNU_SOURCE -DHAVE_LIBONIG=1 -DHAVE_ALLOCA=1 -DHAVE_ALLOCA_H=1
  -DHAVE_ISATTY=1 -DHAVE_GMTIME_R=1 -DHAVE_GMTIME=1 -DHAVE_LOCALTIME_R=1
  -DHAVE_STRFTIME=1 -DHAVE_STRPTIME=1 -DHAVE_TIMEGM=1 -DHAVE_MKSTEMP=1
  -DHAVE_MEMMEM=1 -DHAVE_GETTIMEOFDAY=1 -DHAVE_FREXP=1 -DHAVE_MODF=1
  -DHAVE_LGAMMA_R=1 -DHAVE_ATEXIT=1 -DHAVE_TM_TM_GMT_OFF=1 -DHAVE_ARC4RANDOM=1
  -DIEEE_8087=1 -Dgamma=lgamma)
for name in $(sed -n 's/^#ifdef HAVE_\([A-Z0-9_]*\)$/\1/p' "$jq/src/libm.h"); do
  jq_defines+=("-DHAVE_$name=1")
done
jq_sources=(builtin bytecode compile execute jq_test jv jv_alloc jv_aux jv_dtoa jv_file
  jv_parse jv_print jv_unicode linker locfile util lexer parser main)
compile_all "$obj/jq" "${jq_defines[@]}" -I"$jq" -I"$jq/src" -I"$onig/src" -I"$GOODBOT_RECIPE/include" \
  -I"$WASI_STUBS_INCLUDE" \
  -include wasi-stubs.h -Wno-deprecated-declarations -- $(printf "$jq/src/%s.c " "${jq_sources[@]}") \
  "$GOODBOT_LIB/wasi-stubs/src/wasi-stubs.c"

step "linking jq.wasm"
# 1 MiB of C stack (wasm-ld gives 64 KiB): jq's parser, printer and
# interpreter recurse on nesting depth
$CC $CFLAGS -o "$GOODBOT_OUT/jq.wasm" "$obj/jq"/*.o "$GOODBOT_WORK/libonig.a" "$WASI_STARTUP_OBJ" \
  -Wl,--strip-debug -Wl,-z,stack-size=$((1024 * 1024))
[ -s "$GOODBOT_OUT/jq.wasm" ]
mkdir -p "$GOODBOT_OUT/licenses"
cp "$jq/debian/copyright" "$GOODBOT_OUT/licenses/jq.copyright"
cp "$onig/debian/copyright" "$GOODBOT_OUT/licenses/libonig.copyright"
step "done: jq.wasm ($(du -k "$GOODBOT_OUT/jq.wasm" | cut -f1) KiB)"
