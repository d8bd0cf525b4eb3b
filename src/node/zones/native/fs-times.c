/*
 * fs-times: nanosecond-exact timestamp setting for host-folder zones.
 *
 * Node's utimes/futimes take seconds as a double and libuv truncates them to
 * microseconds, so `fd_filestat_set_times` could not round-trip a WASI
 * timestamp, nor leave one of the two times untouched (UTIME_OMIT). This
 * addon exposes utimensat/futimens directly through Node-API.
 *
 * Each time is a BigInt: nanoseconds since the epoch, or -1n to leave it
 * unchanged (UTIME_OMIT), or -2n to set it to now (UTIME_NOW).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <node_api.h>
#include <string.h>
#include <sys/stat.h>

static int to_timespec(napi_env env, napi_value value, struct timespec *ts) {
    int64_t ns;
    bool lossless;
    if (napi_get_value_bigint_int64(env, value, &ns, &lossless) != napi_ok) return -1;
    if (ns == -1) { ts->tv_sec = 0; ts->tv_nsec = UTIME_OMIT; return 0; }
    if (ns == -2) { ts->tv_sec = 0; ts->tv_nsec = UTIME_NOW; return 0; }
    if (ns < 0) return -1;
    ts->tv_sec = ns / 1000000000;
    ts->tv_nsec = ns % 1000000000;
    return 0;
}

/* Throws an Error carrying the errno number; the TypeScript side names it (ENOENT, …). */
static napi_value throw_errno(napi_env env, int err) {
    napi_value message, error, number;
    napi_create_string_utf8(env, strerror(err), NAPI_AUTO_LENGTH, &message);
    napi_create_error(env, NULL, message, &error);
    napi_create_int32(env, err, &number);
    napi_set_named_property(env, error, "errno", number);
    napi_throw(env, error);
    return NULL;
}

/* setPathTimes(path: string, atim: bigint, mtim: bigint, noFollow: boolean) */
static napi_value set_path_times(napi_env env, napi_callback_info info) {
    size_t argc = 4;
    napi_value argv[4];
    napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
    char path[4096];
    size_t len;
    bool no_follow = false;
    struct timespec times[2];
    if (argc < 4 || napi_get_value_string_utf8(env, argv[0], path, sizeof path, &len) != napi_ok ||
        to_timespec(env, argv[1], &times[0]) || to_timespec(env, argv[2], &times[1]) ||
        napi_get_value_bool(env, argv[3], &no_follow) != napi_ok) {
        napi_throw_type_error(env, NULL, "setPathTimes(path, atim, mtim, noFollow)");
        return NULL;
    }
    if (utimensat(AT_FDCWD, path, times, no_follow ? AT_SYMLINK_NOFOLLOW : 0) != 0) return throw_errno(env, errno);
    return NULL;
}

/* setFdTimes(fd: number, atim: bigint, mtim: bigint) */
static napi_value set_fd_times(napi_env env, napi_callback_info info) {
    size_t argc = 3;
    napi_value argv[3];
    napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
    int32_t fd;
    struct timespec times[2];
    if (argc < 3 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || to_timespec(env, argv[1], &times[0]) ||
        to_timespec(env, argv[2], &times[1])) {
        napi_throw_type_error(env, NULL, "setFdTimes(fd, atim, mtim)");
        return NULL;
    }
    if (futimens(fd, times) != 0) return throw_errno(env, errno);
    return NULL;
}

NAPI_MODULE_INIT() {
    napi_value fn;
    napi_create_function(env, "setPathTimes", NAPI_AUTO_LENGTH, set_path_times, NULL, &fn);
    napi_set_named_property(env, exports, "setPathTimes", fn);
    napi_create_function(env, "setFdTimes", NAPI_AUTO_LENGTH, set_fd_times, NULL, &fn);
    napi_set_named_property(env, exports, "setFdTimes", fn);
    return exports;
}
