/*
 * netprobe: a network client calling wasi:sockets and wasi:http directly
 * (wasi-libc has no sockets for preview2), printing one line per step:
 * "<step>: ok …" or "<step>: <error-code>".
 *
 *   netprobe [HOST [PATH]]          try every way out: sockets, a lookup of HOST, an HTTPS POST
 *                                   (default: example.com /index.html?token=secret)
 *   netprobe lookup NAME            resolve NAME, print its addresses
 *   netprobe tcp HOST PORT [TEXT]   connect (HOST: an IPv4 address, or a name looked up first,
 *                                   then its first IPv4 address), send TEXT and shut down
 *                                   sending, print what comes back until the end
 *   netprobe udp ADDRESS PORT TEXT  send TEXT as a datagram, print the reply (waits up to 2 s)
 *   netprobe get SCHEME AUTHORITY PATH
 *                                   GET SCHEME (http, https)://AUTHORITY/PATH, print status and body
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

/* result<tuple<own<A>, own<B>>, error-code>: is_err @0, handles @4 and @8 (or error-code @4). */
typedef struct {
    uint8_t is_err;
    uint8_t _pad[3];
    union {
        handle_t pair[2];
        uint8_t code;
    } v;
} result_pair_t;

/* result<_, error-code>: is_err @0, error-code @1. */
typedef struct {
    uint8_t is_err;
    uint8_t code;
} result_unit_t;

/* result<list<u8>, stream-error>: is_err @0, list (ptr, len) @4 or stream-error tag @4. */
typedef struct {
    uint8_t is_err;
    uint8_t _pad[3];
    union {
        struct {
            uint8_t *ptr;
            size_t len;
        } list;
        uint8_t tag;
    } v;
} result_bytes_t;

/* result<u64, error-code>: is_err @0, value or error-code @8. */
typedef struct __attribute__((aligned(8))) {
    uint8_t is_err;
    uint8_t _pad[7];
    union {
        uint64_t value;
        uint8_t code;
    } v;
} result_u64_t;

/* result<option<ip-address>, error-code>: is_err @0, then option tag @2, ip-address tag @4, its bytes or u16s @6. */
typedef struct {
    uint8_t is_err;
    uint8_t _pad;
    uint8_t is_some; /* the error-code when is_err */
    uint8_t _pad2;
    uint8_t family;
    uint8_t _pad3;
    uint16_t address[8];
} result_address_t;

/* outgoing-datagram { data: list<u8>, remote-address: option<ip-socket-address> } (44 bytes, align 4). */
typedef struct {
    const uint8_t *data;
    size_t len;
    uint8_t has_remote;
    uint8_t _pad[3];
    uint8_t family;
    uint8_t _pad2[3];
    uint16_t port;
    uint8_t address[26];
} outgoing_datagram_t;

/* incoming-datagram { data: list<u8>, remote-address: ip-socket-address } (40 bytes, align 4). */
typedef struct {
    uint8_t *data;
    size_t len;
    uint8_t family;
    uint8_t _pad[3];
    uint16_t port;
    uint8_t address[26];
} incoming_datagram_t;

_Static_assert(sizeof(result_handle_t) == 8, "layout");
_Static_assert(sizeof(result_pair_t) == 12, "layout");
_Static_assert(sizeof(result_bytes_t) == 12, "layout");
_Static_assert(sizeof(result_u64_t) == 16, "layout");
_Static_assert(__builtin_offsetof(result_address_t, address) == 6, "layout");
_Static_assert(sizeof(outgoing_datagram_t) == 44, "layout");
_Static_assert(__builtin_offsetof(outgoing_datagram_t, port) == 16, "layout");
_Static_assert(sizeof(incoming_datagram_t) == 40, "layout");
_Static_assert(__builtin_offsetof(incoming_datagram_t, port) == 12, "layout");
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
WASI_IMPORT("wasi:sockets/ip-name-lookup@0.2.12", "[method]resolve-address-stream.resolve-next-address")
extern void resolve_next_address(handle_t self, result_address_t *ret);
WASI_IMPORT("wasi:sockets/ip-name-lookup@0.2.12", "[method]resolve-address-stream.subscribe")
extern handle_t resolve_address_stream_subscribe(handle_t self);

/* An ip-socket-address flattens to its case (0: ipv4) and 11 values; ipv4 uses the first five. */
WASI_IMPORT("wasi:sockets/tcp@0.2.12", "[method]tcp-socket.start-connect")
extern void tcp_start_connect(handle_t self, handle_t network, int32_t family, int32_t port, int32_t a0, int32_t a1,
                              int32_t a2, int32_t a3, int32_t p5, int32_t p6, int32_t p7, int32_t p8, int32_t p9,
                              int32_t p10, result_unit_t *ret);
WASI_IMPORT("wasi:sockets/tcp@0.2.12", "[method]tcp-socket.finish-connect")
extern void tcp_finish_connect(handle_t self, result_pair_t *ret);
WASI_IMPORT("wasi:sockets/tcp@0.2.12", "[method]tcp-socket.subscribe")
extern handle_t tcp_subscribe(handle_t self);
/* shutdown-type: receive = 0, send = 1, both = 2 */
WASI_IMPORT("wasi:sockets/tcp@0.2.12", "[method]tcp-socket.shutdown")
extern void tcp_shutdown(handle_t self, int32_t how, result_unit_t *ret);

/* stream(option<ip-socket-address>): option tag, then the address flattened as for start-connect. */
WASI_IMPORT("wasi:sockets/udp@0.2.12", "[method]udp-socket.stream")
extern void udp_stream(handle_t self, int32_t has_remote, int32_t family, int32_t port, int32_t a0, int32_t a1,
                       int32_t a2, int32_t a3, int32_t p5, int32_t p6, int32_t p7, int32_t p8, int32_t p9, int32_t p10,
                       result_pair_t *ret);
WASI_IMPORT("wasi:sockets/udp@0.2.12", "[method]outgoing-datagram-stream.check-send")
extern void udp_check_send(handle_t self, result_u64_t *ret);
WASI_IMPORT("wasi:sockets/udp@0.2.12", "[method]outgoing-datagram-stream.send")
extern void udp_send(handle_t self, const outgoing_datagram_t *datagrams, size_t count, result_u64_t *ret);
WASI_IMPORT("wasi:sockets/udp@0.2.12", "[method]incoming-datagram-stream.receive")
extern void udp_receive(handle_t self, uint64_t max, result_bytes_t *ret);
WASI_IMPORT("wasi:sockets/udp@0.2.12", "[method]incoming-datagram-stream.subscribe")
extern handle_t udp_incoming_subscribe(handle_t self);

WASI_IMPORT("wasi:io/poll@0.2.12", "[method]pollable.block")
extern void pollable_block(handle_t self);
WASI_IMPORT("wasi:io/poll@0.2.12", "[resource-drop]pollable")
extern void drop_pollable(handle_t);
WASI_IMPORT("wasi:io/poll@0.2.12", "poll")
extern void poll_list(const handle_t *pollables, size_t count, result_bytes_t *ret);
WASI_IMPORT("wasi:clocks/monotonic-clock@0.2.12", "subscribe-duration")
extern handle_t subscribe_duration(uint64_t ns);
WASI_IMPORT("wasi:io/streams@0.2.12", "[method]input-stream.blocking-read")
extern void input_stream_blocking_read(handle_t self, uint64_t len, result_bytes_t *ret);
WASI_IMPORT("wasi:io/streams@0.2.12", "[resource-drop]input-stream")
extern void drop_input_stream(handle_t);

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
WASI_IMPORT("wasi:http/types@0.2.12", "[method]future-incoming-response.subscribe")
extern handle_t future_incoming_response_subscribe(handle_t self);
/* option<result<result<own<incoming-response>, error-code>>>: some @0, outer err @8, inner err @16, handle or error-code tag @24. */
WASI_IMPORT("wasi:http/types@0.2.12", "[method]future-incoming-response.get")
extern void future_incoming_response_get(handle_t self, uint8_t *ret);
WASI_IMPORT("wasi:http/types@0.2.12", "[method]incoming-response.status")
extern int32_t incoming_response_status(handle_t self);
WASI_IMPORT("wasi:http/types@0.2.12", "[method]incoming-response.consume")
extern void incoming_response_consume(handle_t self, result_plain_t *ret);
WASI_IMPORT("wasi:http/types@0.2.12", "[resource-drop]incoming-response")
extern void drop_incoming_response(handle_t);
WASI_IMPORT("wasi:http/types@0.2.12", "[method]incoming-body.stream")
extern void incoming_body_stream(handle_t self, result_plain_t *ret);
WASI_IMPORT("wasi:http/types@0.2.12", "[resource-drop]incoming-body")
extern void drop_incoming_body(handle_t);

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

/* The http error-code cases, in WIT order. */
static const char *http_errors[] = {
    "DNS-timeout", "DNS-error", "destination-not-found", "destination-unavailable",
    "destination-IP-prohibited", "destination-IP-unroutable", "connection-refused",
    "connection-terminated", "connection-timeout", "connection-read-timeout",
    "connection-write-timeout", "connection-limit-reached", "TLS-protocol-error",
    "TLS-certificate-error", "TLS-alert-received", "HTTP-request-denied",
    "HTTP-request-length-required", "HTTP-request-body-size", "HTTP-request-method-invalid",
    "HTTP-request-URI-invalid", "HTTP-request-URI-too-long", "HTTP-request-header-section-size",
    "HTTP-request-header-size", "HTTP-request-trailer-section-size", "HTTP-request-trailer-size",
    "HTTP-response-incomplete", "HTTP-response-header-section-size", "HTTP-response-header-size",
    "HTTP-response-body-size", "HTTP-response-trailer-section-size", "HTTP-response-trailer-size",
    "HTTP-response-transfer-coding", "HTTP-response-content-coding", "HTTP-response-timeout",
    "HTTP-upgrade-failed", "HTTP-protocol-error", "loop-detected", "configuration-error",
    "internal-error",
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

/* Reads INPUT to its end and prints it as "LABEL: TEXT". */
static void print_all(const char *label, handle_t input) {
    char text[4096];
    size_t got = 0;
    for (;;) {
        result_bytes_t read;
        input_stream_blocking_read(input, sizeof text - got, &read);
        if (read.is_err) break;
        memcpy(text + got, read.v.list.ptr, read.v.list.len);
        got += read.v.list.len;
        free(read.v.list.ptr);
        if (got == sizeof text) break;
    }
    printf("%s: %.*s\n", label, (int)got, text);
}

/* Waits for the response to a request sent, and prints its status and body. */
static void print_response(handle_t future) {
    pollable_block(future_incoming_response_subscribe(future));
    uint8_t got[56] __attribute__((aligned(8)));
    future_incoming_response_get(future, got);
    drop_future_incoming_response(future);
    if (!got[0] || got[8]) {
        printf("http-response: none\n");
        return;
    }
    if (got[16]) {
        report_http_error("http-response", got[24]);
        return;
    }
    handle_t response;
    memcpy(&response, got + 24, sizeof response);
    printf("http-response: %d\n", (int)incoming_response_status(response));
    result_plain_t body, stream;
    incoming_response_consume(response, &body);
    incoming_body_stream(body.handle, &stream);
    print_all("http-text", stream.handle);
    drop_input_stream(stream.handle);
    drop_incoming_body(body.handle);
    drop_incoming_response(response);
}

/* Builds a request (a POST with a header and a body, or a GET), asks the host to send it, prints the response. */
static void try_http(int https, const char *host, const char *path, int post) {
    handle_t headers = fields_new();
    result_plain_t appended;
    static const char agent[] = "goodbot-netprobe";
    fields_append(headers, "user-agent", 10, agent, sizeof agent - 1, &appended);
    printf("http-fields: %s\n", appended.is_err ? "error" : "ok");

    handle_t request = outgoing_request_new(headers);
    int failed = outgoing_request_set_method(request, post ? 2 : 0, NULL, 0);
    failed |= outgoing_request_set_scheme(request, 1, https, NULL, 0);
    failed |= outgoing_request_set_authority(request, 1, host, strlen(host));
    failed |= outgoing_request_set_path_with_query(request, 1, path, strlen(path));
    printf("http-request: %s\n", failed ? "error" : "ok");

    if (post) {
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
    }

    result_http_t response;
    outgoing_handler_handle(request, 0, 0, &response);
    if (response.is_err) {
        report_http_error("http-handle", response.v.error.tag);
        return;
    }
    printf("http-handle: ok\n");
    fflush(stdout);
    print_response(response.v.handle);
}

/* Blocks on a pollable the host gave us, and drops it. */
static void wait_for(handle_t pollable) {
    pollable_block(pollable);
    drop_pollable(pollable);
}

static int parse_ipv4(const char *text, uint8_t out[4]) {
    unsigned a, b, c, d;
    char end;
    if (sscanf(text, "%u.%u.%u.%u%c", &a, &b, &c, &d, &end) != 4 || a > 255 || b > 255 || c > 255 || d > 255) return 0;
    out[0] = a, out[1] = b, out[2] = c, out[3] = d;
    return 1;
}

static void print_address(const result_address_t *r) {
    const uint8_t *bytes = (const uint8_t *)r->address;
    if (r->family == 0) printf(" %u.%u.%u.%u", bytes[0], bytes[1], bytes[2], bytes[3]);
    else {
        printf(" ");
        for (int i = 0; i < 8; i++) printf("%s%x", i ? ":" : "", r->address[i]);
    }
}

/* Resolves NAME and prints "lookup: ok ADDR…"; stores the first IPv4 address into FIRST (if given). */
static int lookup(handle_t network, const char *name, uint8_t first[4]) {
    result_handle_t started;
    resolve_addresses(network, name, strlen(name), &started);
    if (started.is_err) {
        printf("lookup: %s\n", socket_error(started.v.code));
        return 0;
    }
    handle_t stream = started.v.handle;
    int found = 0, printed = 0;
    for (;;) {
        result_address_t next;
        resolve_next_address(stream, &next);
        if (next.is_err && next.is_some == 8 /* would-block */) {
            wait_for(resolve_address_stream_subscribe(stream));
            continue;
        }
        if (next.is_err) {
            printf("lookup: %s\n", socket_error(next.is_some));
            drop_resolve_address_stream(stream);
            return 0;
        }
        if (!next.is_some) break;
        if (!printed++) printf("lookup: ok");
        print_address(&next);
        if (next.family == 0 && !found && first) {
            memcpy(first, next.address, 4);
            found = 1;
        }
    }
    printf(printed ? "\n" : "lookup: ok (none)\n");
    drop_resolve_address_stream(stream);
    return first ? found : 1;
}

/* Resolves HOST unless it is an IPv4 address. */
static int address_of(handle_t network, const char *host, uint8_t out[4]) {
    return parse_ipv4(host, out) || lookup(network, host, out);
}

/* An IPv4 socket made by CREATE, or -1 after printing "STEP: <error-code>". */
static handle_t new_socket(void (*create)(int32_t, result_handle_t *), const char *step) {
    result_handle_t created;
    create(0, &created);
    if (!created.is_err) return created.v.handle;
    printf("%s: %s\n", step, socket_error(created.v.code));
    return -1;
}

static int tcp_client(const char *host, int port, const char *text) {
    handle_t network = instance_network();
    uint8_t ip[4];
    if (!address_of(network, host, ip)) return 1;
    handle_t socket = new_socket(create_tcp_socket, "connect");
    if (socket < 0) return 1;
    result_unit_t started;
    tcp_start_connect(socket, network, 0, port, ip[0], ip[1], ip[2], ip[3], 0, 0, 0, 0, 0, 0, &started);
    if (started.is_err) {
        printf("connect: %s\n", socket_error(started.code));
        return 1;
    }
    result_pair_t connected;
    for (;;) {
        tcp_finish_connect(socket, &connected);
        if (!connected.is_err || connected.v.code != 8 /* would-block */) break;
        wait_for(tcp_subscribe(socket));
    }
    if (connected.is_err) {
        printf("connect: %s\n", socket_error(connected.v.code));
        return 1;
    }
    printf("connect: ok\n");
    handle_t input = connected.v.pair[0], output = connected.v.pair[1];
    if (text) {
        result_stream_t written = {0};
        output_stream_write(output, text, strlen(text), &written);
        result_unit_t shut;
        tcp_shutdown(socket, 1, &shut);
        printf("send: %s\n", written.is_err || shut.is_err ? "error" : "ok");
    }
    fflush(stdout);
    char reply[4096];
    size_t got = 0;
    for (;;) {
        result_bytes_t read;
        input_stream_blocking_read(input, sizeof reply - got, &read);
        if (read.is_err) {
            printf("reply: %.*s\nread: %s\n", (int)got, reply, read.v.tag == 1 ? "closed" : "error");
            break;
        }
        memcpy(reply + got, read.v.list.ptr, read.v.list.len);
        got += read.v.list.len;
        free(read.v.list.ptr);
        if (got == sizeof reply) break;
    }
    drop_input_stream(input);
    drop_output_stream(output);
    drop_tcp_socket(socket);
    drop_network(network);
    return 0;
}

static int udp_client(const char *host, int port, const char *text) {
    handle_t network = instance_network();
    uint8_t ip[4];
    if (!parse_ipv4(host, ip)) return 1;
    handle_t socket = new_socket(create_udp_socket, "send");
    if (socket < 0) return 1;
    result_pair_t streams;
    udp_stream(socket, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, &streams);
    if (streams.is_err) {
        printf("send: %s\n", socket_error(streams.v.code));
        return 1;
    }
    handle_t incoming = streams.v.pair[0], outgoing = streams.v.pair[1];
    result_u64_t permit, sent;
    udp_check_send(outgoing, &permit);
    outgoing_datagram_t datagram = {.data = (const uint8_t *)text, .len = strlen(text), .has_remote = 1, .port = port};
    memcpy(datagram.address, ip, 4);
    udp_send(outgoing, &datagram, 1, &sent);
    if (sent.is_err) {
        printf("send: %s\n", socket_error(sent.v.code));
        return 0;
    }
    printf("send: ok\n");
    fflush(stdout);
    handle_t pollables[2] = {udp_incoming_subscribe(incoming), subscribe_duration(2000000000ull)};
    result_bytes_t ready;
    poll_list(pollables, 2, &ready);
    result_bytes_t received;
    udp_receive(incoming, 1, &received);
    incoming_datagram_t *datagrams = (incoming_datagram_t *)received.v.list.ptr;
    if (received.is_err || received.v.list.len == 0) printf("reply: none\n");
    else printf("reply: %.*s\n", (int)datagrams[0].len, datagrams[0].data);
    drop_pollable(pollables[0]);
    drop_pollable(pollables[1]);
    drop_network(network);
    return 0;
}

int main(int argc, char **argv) {
    if (argc > 2 && strcmp(argv[1], "lookup") == 0) return !lookup(instance_network(), argv[2], NULL);
    if (argc > 3 && strcmp(argv[1], "tcp") == 0) return tcp_client(argv[2], atoi(argv[3]), argc > 4 ? argv[4] : NULL);
    if (argc > 4 && strcmp(argv[1], "udp") == 0) return udp_client(argv[2], atoi(argv[3]), argv[4]);
    if (argc > 4 && strcmp(argv[1], "get") == 0) {
        try_http(strcmp(argv[2], "https") == 0, argv[3], argv[4], 0);
        return 0;
    }
    const char *host = argc > 1 ? argv[1] : "example.com";
    const char *path = argc > 2 ? argv[2] : "/index.html?token=secret";
    handle_t network = instance_network();
    printf("instance-network: ok\n");
    try_socket("tcp-create", create_tcp_socket, drop_tcp_socket, 0);
    try_socket("tcp-create-ipv6", create_tcp_socket, drop_tcp_socket, 1);
    try_socket("udp-create", create_udp_socket, drop_udp_socket, 0);
    try_lookup(network, host);
    drop_network(network);
    try_http(1, host, path, 1);
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
