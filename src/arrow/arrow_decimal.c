/* Decimal128 values as text. */
#include <string.h>

#include "arrow.h"

void gnv__decimal128_format(char *buf, const void *le16, int32_t scale)
{
    uint64_t lo, hi;
    memcpy(&lo, le16, 8);
    memcpy(&hi, (const uint8_t *)le16 + 8, 8);
    bool neg = hi >> 63;
    if (neg) { /* magnitude: two's complement negation (also right for the minimum) */
        lo = ~lo + 1;
        hi = ~hi + (lo == 0);
    }
    /* the digits, least significant first, by long division by 10 */
    char digits[48];
    int n = 0;
    while (hi || lo || n == 0) {
        uint64_t rem = 0;
        uint32_t parts[4] = {(uint32_t)(hi >> 32), (uint32_t)hi, (uint32_t)(lo >> 32),
                             (uint32_t)lo};
        for (int i = 0; i < 4; i++) {
            uint64_t cur = rem << 32 | parts[i];
            parts[i] = (uint32_t)(cur / 10);
            rem = cur % 10;
        }
        hi = (uint64_t)parts[0] << 32 | parts[1];
        lo = (uint64_t)parts[2] << 32 | parts[3];
        digits[n++] = (char)('0' + rem);
    }
    if (scale < 0)
        scale = 0;
    if (scale > GNV_DECIMAL128_MAX_PRECISION)
        scale = GNV_DECIMAL128_MAX_PRECISION;
    while (n <= scale) /* at least one digit before the point */
        digits[n++] = '0';
    char *p = buf;
    if (neg)
        *p++ = '-';
    for (int i = n - 1; i >= 0; i--) {
        *p++ = digits[i];
        if (i == scale && scale > 0)
            *p++ = '.';
    }
    *p = '\0';
}
