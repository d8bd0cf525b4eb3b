/* CPU-bound workloads for the metering benchmark (bench/metering.ts): the same
 * source runs as a WebAssembly guest (unmetered and metered) and compiled
 * natively with gcc, so the times compare like for like.
 *
 *   cpu-bench fib N      naive recursive fib(N): calls, little else
 *   cpu-bench sieve N    sieve of Eratosthenes up to N: tight loops over memory
 *   cpu-bench sha256 MB  our own SHA-256 over MB MiB of generated data: arithmetic
 *
 * Each prints one line (`fib 32 2178309`) that is the same wherever it runs, so
 * every run can be checked. No libc beyond stdio/stdlib/string. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t fib(uint32_t n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

static int cmd_fib(const char *arg) {
    uint32_t n = (uint32_t)strtoul(arg, NULL, 10);
    printf("fib %u %u\n", n, fib(n));
    return 0;
}

static int cmd_sieve(const char *arg) {
    size_t n = strtoul(arg, NULL, 10);
    unsigned char *composite = calloc(n + 1, 1);
    if (composite == NULL) {
        fprintf(stderr, "cpu-bench: out of memory\n");
        return 1;
    }
    size_t count = 0;
    for (size_t i = 2; i <= n; i++) {
        if (composite[i]) continue;
        count++;
        if (i > n / i) continue; /* i * i > n (and would overflow a 32-bit size_t) */
        for (size_t j = i * i; j <= n; j += i) composite[j] = 1;
    }
    free(composite);
    printf("sieve %zu %zu\n", n, count);
    return 0;
}

/* ------------------------------------------------------------------ SHA-256 */

static const uint32_t k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

typedef struct {
    uint32_t h[8];
    uint64_t length; /* bytes hashed so far */
    unsigned char block[64];
    size_t used;
} sha256_ctx;

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha256_block(uint32_t h[8], const unsigned char *p) {
    uint32_t w[64];
    for (int i = 0; i < 16; i++) {
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
    }
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
    for (int i = 0; i < 64; i++) {
        uint32_t t1 = hh + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) + ((e & f) ^ (~e & g)) + k[i] + w[i];
        uint32_t t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        hh = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }
    h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e, h[5] += f, h[6] += g, h[7] += hh;
}

static void sha256_init(sha256_ctx *ctx) {
    static const uint32_t initial[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                        0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    memcpy(ctx->h, initial, sizeof initial);
    ctx->length = 0;
    ctx->used = 0;
}

static void sha256_update(sha256_ctx *ctx, const unsigned char *data, size_t size) {
    ctx->length += size;
    if (ctx->used > 0) {
        size_t take = 64 - ctx->used < size ? 64 - ctx->used : size;
        memcpy(ctx->block + ctx->used, data, take);
        ctx->used += take, data += take, size -= take;
        if (ctx->used < 64) return;
        sha256_block(ctx->h, ctx->block);
        ctx->used = 0;
    }
    for (; size >= 64; data += 64, size -= 64) sha256_block(ctx->h, data);
    memcpy(ctx->block, data, size);
    ctx->used = size;
}

static void sha256_final(sha256_ctx *ctx, unsigned char digest[32]) {
    uint64_t bits = ctx->length * 8;
    unsigned char pad[72] = {0x80};
    size_t padding = (ctx->used < 56 ? 56 : 120) - ctx->used;
    for (int i = 0; i < 8; i++) pad[padding + i] = (unsigned char)(bits >> (56 - 8 * i));
    sha256_update(ctx, pad, padding + 8);
    for (int i = 0; i < 32; i++) digest[i] = (unsigned char)(ctx->h[i / 4] >> (24 - 8 * (i % 4)));
}

static int cmd_sha256(const char *arg) {
    size_t megabytes = strtoul(arg, NULL, 10);
    enum { chunk = 1 << 20 };
    unsigned char *buffer = malloc(chunk);
    if (buffer == NULL) {
        fprintf(stderr, "cpu-bench: out of memory\n");
        return 1;
    }
    sha256_ctx ctx;
    sha256_init(&ctx);
    uint32_t state = 0x9e3779b9; /* xorshift32: the data differs from chunk to chunk */
    for (size_t c = 0; c < megabytes; c++) {
        for (size_t i = 0; i < chunk; i += 4) {
            state ^= state << 13, state ^= state >> 17, state ^= state << 5;
            memcpy(buffer + i, &state, 4);
        }
        sha256_update(&ctx, buffer, chunk);
    }
    unsigned char digest[32];
    sha256_final(&ctx, digest);
    free(buffer);
    printf("sha256 %zu ", megabytes);
    for (int i = 0; i < 32; i++) printf("%02x", digest[i]);
    printf("\n");
    return 0;
}

/* A known-answer self-check, so a wrong digest cannot go unnoticed: SHA-256("abc"). */
static int cmd_selftest(void) {
    sha256_ctx ctx;
    unsigned char digest[32];
    char hex[65];
    sha256_init(&ctx);
    sha256_update(&ctx, (const unsigned char *)"abc", 3);
    sha256_final(&ctx, digest);
    for (int i = 0; i < 32; i++) snprintf(hex + 2 * i, 3, "%02x", digest[i]);
    int good = strcmp(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad") == 0;
    printf("selftest %s\n", good ? "ok" : hex);
    return good ? 0 : 1;
}

int main(int argc, char **argv) {
    if (argc == 2 && !strcmp(argv[1], "selftest")) return cmd_selftest();
    if (argc == 3 && !strcmp(argv[1], "fib")) return cmd_fib(argv[2]);
    if (argc == 3 && !strcmp(argv[1], "sieve")) return cmd_sieve(argv[2]);
    if (argc == 3 && !strcmp(argv[1], "sha256")) return cmd_sha256(argv[2]);
    fprintf(stderr, "usage: cpu-bench fib N | sieve N | sha256 MB | selftest\n");
    return 2;
}
