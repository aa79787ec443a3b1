/* Hashing (xxhash, SHA-256 from libcrypto), hex and base64. */
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>
#include <xxhash.h>

#include "util.h"

uint64_t gnv__xxh64(const void *data, size_t n, uint64_t seed)
{
    return XXH64(data, n, seed);
}

uint64_t gnv__xxh3(const void *data, size_t n)
{
    return XXH3_64bits(data, n);
}

int gnv__sha256(uint8_t out[32], const void *data, size_t n)
{
    unsigned int len = 0;
    if (!EVP_Digest(data, n, out, &len, EVP_sha256(), NULL))
        return gnv__error_set(GNV_ERROR, GNV_SUB_UTIL, "sha256 failed");
    return GNV_OK;
}

int gnv__sha256_file(uint8_t out[32], const char *path)
{
    int rc = GNV_OK, fd = -1;
    EVP_MD_CTX *ctx = NULL;
    uint8_t *block = NULL;
    unsigned int len = 0;

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return gnv__error_os(GNV_SUB_UTIL, errno, "cannot open '%s'", path);
    ctx = EVP_MD_CTX_new();
    block = gnv__malloc(1 << 16);
    GNV_CHECK_ALLOC(ctx);
    GNV_CHECK_ALLOC(block);
    GNV_ERR_IF(!EVP_DigestInit_ex(ctx, EVP_sha256(), NULL), GNV_ERROR, GNV_SUB_UTIL,
               "sha256 init failed");
    for (;;) {
        ssize_t got = read(fd, block, 1 << 16);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            rc = gnv__error_os(GNV_SUB_UTIL, errno, "cannot read '%s'", path);
            goto done;
        }
        if (got == 0)
            break;
        EVP_DigestUpdate(ctx, block, (size_t)got);
    }
    EVP_DigestFinal_ex(ctx, out, &len);
done:
    gnv__free(block);
    EVP_MD_CTX_free(ctx);
    close(fd);
    return rc;
}

void gnv__hex(char *out, const uint8_t *bytes, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[bytes[i] >> 4];
        out[2 * i + 1] = digits[bytes[i] & 15];
    }
    out[2 * n] = '\0';
}

int gnv__base64_encode(gnv_buf *out, const uint8_t *data, size_t n)
{
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    GNV_TRY(gnv__buf_reserve(out, (n + 2) / 3 * 4));
    char *p = out->ptr + out->size;
    size_t i = 0;
    for (; i + 2 < n; i += 3) {
        uint32_t v = (uint32_t)data[i] << 16 | (uint32_t)data[i + 1] << 8 | data[i + 2];
        *p++ = tbl[v >> 18];
        *p++ = tbl[(v >> 12) & 63];
        *p++ = tbl[(v >> 6) & 63];
        *p++ = tbl[v & 63];
    }
    if (i < n) {
        uint32_t v = (uint32_t)data[i] << 16 | (i + 1 < n ? (uint32_t)data[i + 1] << 8 : 0);
        *p++ = tbl[v >> 18];
        *p++ = tbl[(v >> 12) & 63];
        *p++ = i + 1 < n ? tbl[(v >> 6) & 63] : '=';
        *p++ = '=';
    }
    out->size = (size_t)(p - out->ptr);
    out->ptr[out->size] = '\0';
    return GNV_OK;
}
