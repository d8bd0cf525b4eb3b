/*
 * netprobe: tries every way out to the network a WASI 0.2 component has,
 * calling wasi:sockets and wasi:http directly, and prints one line per
 * attempt: "<attempt>: ok" or "<attempt>: <error-code>".
 *
 *   netprobe [HOST [PATH]]     (default: example.com /index.html?token=secret)
 *
 * Built as a reactor with its own _start and cabi_realloc (see build-guests.mjs):
 * the glue needs cabi_realloc to hand back http error payloads with strings,
 * and a reactor keeps wasm-ld from wrapping that export in stdio teardown.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WASI_IMPORT(module, name) __attribute__((import_module(module), import_name(name)))

/* Handles are i32; an enum, bool or variant tag is an i32; a string is (ptr, len). */
typedef int32_t handle_t;

/* result<own<T>, sockets error-code>: is_err @0, handle or error-code @4. */
typedef struct {
    uint8_t is_err;
    uint8_t _pad[3];
    union {
        handle_t handle;
        uint8_t code;
    } v;
} result_handle_t;

/* result<own<T>> and result<_, header-error>: is_err @0, handle @4 (or header-error case @1). */
typedef struct {
    uint8_t is_err;
    uint8_t header_error;
    uint8_t _pad[2];
    handle_t handle;
} result_plain_t;

/* result<own<T>, http error-code>: is_err @0, handle or error-code tag @8, payload @16 (40 bytes, align 8). */
typedef struct __attribute__((aligned(8))) {
    uint8_t is_err;
    uint8_t _pad[7];
    union {
        handle_t handle;
        struct {
            uint8_t tag;
            uint8_t _pad[7];
            uint8_t payload[24];
        } error;
    } v;
} result_http_t;

/* result<_, stream-error>: is_err @0, stream-error tag @4, error handle @8. */
typedef struct {
    uint8_t is_err;
    uint8_t _pad[3];
    uint8_t tag;
    uint8_t _pad2[3];
    handle_t error;
} result_stream_t;

_Static_assert(sizeof(result_handle_t) == 8, "layout");
_Static_assert(sizeof(result_http_t) == 40, "layout");
_Static_assert(__builtin_offsetof(result_http_t, v.error.payload) == 16, "layout");
_Static_assert(sizeof(result_stream_t) == 12, "layout");

WASI_IMPORT("wasi:sockets/instance-network@0.2.12", "instance-network")
extern handle_t instance_network(void);
WASI_IMPORT("wasi:sockets/network@0.2.12", "[resource-drop]network")
extern void drop_network(handle_t);
WASI_IMPORT("wasi:sockets/tcp-create-socket@0.2.12", "create-tcp-socket")
extern void create_tcp_socket(int32_t family, result_handle_t *ret);
WASI_IMPORT("wasi:sockets/tcp@0.2.12", "[resource-drop]tcp-socket")
extern void drop_tcp_socket(handle_t);
WASI_IMPORT("wasi:sockets/udp-create-socket@0.2.12", "create-udp-socket")
extern void create_udp_socket(int32_t family, result_handle_t *ret);
WASI_IMPORT("wasi:sockets/udp@0.2.12", "[resource-drop]udp-socket")
extern void drop_udp_socket(handle_t);
WASI_IMPORT("wasi:sockets/ip-name-lookup@0.2.12", "resolve-addresses")
extern void resolve_addresses(handle_t network, const char *name, size_t len, result_handle_t *ret);
WASI_IMPORT("wasi:sockets/ip-name-lookup@0.2.12", "[resource-drop]resolve-address-stream")
extern void drop_resolve_address_stream(handle_t);

WASI_IMPORT("wasi:http/types@0.2.12", "[constructor]fields")
extern handle_t fields_new(void);
WASI_IMPORT("wasi:http/types@0.2.12", "[method]fields.append")
extern void fields_append(handle_t self, const char *name, size_t name_len, const char *value, size_t value_len,
                          result_plain_t *ret);
WASI_IMPORT("wasi:http/types@0.2.12", "[constructor]outgoing-request")
extern handle_t outgoing_request_new(handle_t headers);
/* set-method(method variant: get = 0 … other(string) = 9) -> result */
WASI_IMPORT("wasi:http/types@0.2.12", "[method]outgoing-request.set-method")
extern int32_t outgoing_request_set_method(handle_t self, int32_t method, const char *other, size_t other_len);
/* set-scheme(option<scheme>; scheme: HTTP = 0, HTTPS = 1, other(string) = 2) -> result */
WASI_IMPORT("wasi:http/types@0.2.12", "[method]outgoing-request.set-scheme")
extern int32_t outgoing_request_set_scheme(handle_t self, int32_t is_some, int32_t scheme, const char *other,
                                           size_t other_len);
WASI_IMPORT("wasi:http/types@0.2.12", "[method]outgoing-request.set-authority")
extern int32_t outgoing_request_set_authority(handle_t self, int32_t is_some, const char *authority, size_t len);
WASI_IMPORT("wasi:http/types@0.2.12", "[method]outgoing-request.set-path-with-query")
extern int32_t outgoing_request_set_path_with_query(handle_t self, int32_t is_some, const char *path, size_t len);
WASI_IMPORT("wasi:http/types@0.2.12", "[method]outgoing-request.body")
extern void outgoing_request_body(handle_t self, result_plain_t *ret);
WASI_IMPORT("wasi:http/types@0.2.12", "[method]outgoing-body.write")
extern void outgoing_body_write(handle_t self, result_plain_t *ret);
WASI_IMPORT("wasi:http/types@0.2.12", "[static]outgoing-body.finish")
extern void outgoing_body_finish(handle_t body, int32_t has_trailers, handle_t trailers, result_http_t *ret);
WASI_IMPORT("wasi:io/streams@0.2.12", "[method]output-stream.blocking-write-and-flush")
extern void output_stream_write(handle_t self, const char *data, size_t len, result_stream_t *ret);
WASI_IMPORT("wasi:io/streams@0.2.12", "[resource-drop]output-stream")
extern void drop_output_stream(handle_t);
WASI_IMPORT("wasi:http/outgoing-handler@0.2.12", "handle")
extern void outgoing_handler_handle(handle_t request, int32_t has_options, handle_t options, result_http_t *ret);
WASI_IMPORT("wasi:http/types@0.2.12", "[resource-drop]future-incoming-response")
extern void drop_future_incoming_response(handle_t);

static const char *socket_errors[] = {
    "unknown", "access-denied", "not-supported", "invalid-argument", "out-of-memory", "timeout",
    "concurrency-conflict", "not-in-progress", "would-block", "invalid-state", "new-socket-limit",
    "address-not-bindable", "address-in-use", "remote-unreachable", "connection-refused",
    "connection-reset", "connection-aborted", "datagram-too-large", "name-unresolvable",
    "temporary-resolver-failure", "permanent-resolver-failure",
};

static const char *socket_error(uint8_t code) {
    return code < sizeof socket_errors / sizeof *socket_errors ? socket_errors[code] : "?";
}

/* The http error-code cases up to the one a denying host returns. */
static const char *http_errors[] = {
    "DNS-timeout", "DNS-error", "destination-not-found", "destination-unavailable",
    "destination-IP-prohibited", "destination-IP-unroutable", "connection-refused",
    "connection-terminated", "connection-timeout", "connection-read-timeout",
    "connection-write-timeout", "connection-limit-reached", "TLS-protocol-error",
    "TLS-certificate-error", "TLS-alert-received", "HTTP-request-denied",
};

static void report_http_error(const char *attempt, uint8_t tag) {
    if (tag < sizeof http_errors / sizeof *http_errors) printf("%s: %s\n", attempt, http_errors[tag]);
    else printf("%s: error-code %u\n", attempt, tag);
}

static void try_socket(const char *attempt, void (*create)(int32_t, result_handle_t *), void (*drop)(handle_t),
                       int32_t family) {
    result_handle_t r;
    create(family, &r);
    if (r.is_err) {
        printf("%s: %s\n", attempt, socket_error(r.v.code));
        return;
    }
    printf("%s: ok\n", attempt);
    drop(r.v.handle);
}

static void try_lookup(handle_t network, const char *host) {
    result_handle_t r;
    resolve_addresses(network, host, strlen(host), &r);
    if (r.is_err) {
        printf("ip-name-lookup: %s\n", socket_error(r.v.code));
        return;
    }
    printf("ip-name-lookup: ok\n");
    drop_resolve_address_stream(r.v.handle);
}

/* Builds a POST with a header and a body, then asks the host to send it. */
static void try_http(const char *host, const char *path) {
    handle_t headers = fields_new();
    result_plain_t appended;
    static const char agent[] = "goodbot-netprobe";
    fields_append(headers, "user-agent", 10, agent, sizeof agent - 1, &appended);
    printf("http-fields: %s\n", appended.is_err ? "error" : "ok");

    handle_t request = outgoing_request_new(headers);
    int failed = outgoing_request_set_method(request, 2 /* post */, NULL, 0);
    failed |= outgoing_request_set_scheme(request, 1, 1 /* HTTPS */, NULL, 0);
    failed |= outgoing_request_set_authority(request, 1, host, strlen(host));
    failed |= outgoing_request_set_path_with_query(request, 1, path, strlen(path));
    printf("http-request: %s\n", failed ? "error" : "ok");

    result_plain_t body, stream;
    outgoing_request_body(request, &body);
    if (body.is_err) {
        printf("http-body: error\n");
    } else {
        outgoing_body_write(body.handle, &stream);
        result_stream_t written = {0};
        if (!stream.is_err) {
            static const char data[] = "{\"hello\": \"world\"}";
            output_stream_write(stream.handle, data, sizeof data - 1, &written);
            drop_output_stream(stream.handle);
        }
        result_http_t finished;
        outgoing_body_finish(body.handle, 0, 0, &finished);
        printf("http-body: %s\n", stream.is_err || written.is_err || finished.is_err ? "error" : "ok");
    }

    result_http_t response;
    outgoing_handler_handle(request, 0, 0, &response);
    if (response.is_err) {
        report_http_error("http-handle", response.v.error.tag);
        return;
    }
    printf("http-handle: ok\n");
    drop_future_incoming_response(response.v.handle);
}

int main(int argc, char **argv) {
    const char *host = argc > 1 ? argv[1] : "example.com";
    const char *path = argc > 2 ? argv[2] : "/index.html?token=secret";
    handle_t network = instance_network();
    printf("instance-network: ok\n");
    try_socket("tcp-create", create_tcp_socket, drop_tcp_socket, 0);
    try_socket("tcp-create-ipv6", create_tcp_socket, drop_tcp_socket, 1);
    try_socket("udp-create", create_udp_socket, drop_udp_socket, 0);
    try_lookup(network, host);
    drop_network(network);
    try_http(host, path);
    return 0;
}

/* The canonical ABI's allocator, for values the host returns into our memory. */
__attribute__((export_name("cabi_realloc")))
void *cabi_realloc(void *old, size_t old_size, size_t align, size_t new_size) {
    (void)old_size;
    if (new_size == 0) return (void *)align;
    void *p = realloc(old, new_size);
    if (!p) abort();
    return p;
}

extern int __main_void(void);
extern void __wasm_call_dtors(void);

/* The command adapter's wasi:cli/run calls _start; as a reactor we supply it. */
__attribute__((export_name("_start")))
void _start(void) {
    int status = __main_void();
    __wasm_call_dtors();
    if (status != 0) exit(status);
}
