/*
 * Fuzz target: the SQL expression parser and binder. The input is parsed; an
 * expression that parses must print (fully parenthesised) to text that parses back to
 * the same tree, and is then bound to a fixed schema holding a column of every type.
 * A bound tree must satisfy the tree's invariants (every node typed; operands of
 * binary operators of one type) and bind again. Failures must be clean errors.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arrow/arrow.h"
#include "expr/expr_tree.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const schema_text =
    "struct<i8: int8, i16: int16, i32: int32, i64: int64, u8: uint8, u16: uint16, u32: uint32, "
    "u64: uint64, h: float16, f32: float32, f64: float64, s: utf8, ls: large_utf8, b: bool, "
    "d: date32, ts: timestamp[us], tsn: timestamp[ns], tss: timestamp[s], tsm: timestamp[ms], "
    "tz: timestamp[us, tz=UTC], bin: binary, lbin: large_binary, fsb: fixed_size_binary[4], "
    "l: list<int32>, ll: large_list<utf8>, fsl: fixed_size_list<float32, 2>, "
    "st: struct<x: int32, Y: utf8, inner: struct<z: int64>>, Name: utf8, _rowid: uint64, "
    "_rowaddr: uint64, Ab: int32, aB: int64, n: null>";

static const struct ArrowSchema *fuzz_schema(void)
{
    static struct ArrowSchema schema;
    if (!schema.release && gnv__type_from_string(&schema, schema_text, "") != GNV_OK)
        abort();
    return &schema;
}

static bool is_binary_op(gnv_expr_op op)
{
    return (op >= GNV_EX_AND && op <= GNV_EX_CONCAT_OP);
}

/* The invariants of a bound tree. */
static void check_bound(const gnv_expr_node *n)
{
    if (!n)
        return;
    if (!n->type.release)
        abort();
    if (n->op == GNV_EX_COLUMN && !n->path)
        abort();
    if (is_binary_op(n->op)) {
        /* decimal arithmetic keeps each side's decimal type (as arrow-rs) */
        bool decimals = n->op >= GNV_EX_ADD && n->op <= GNV_EX_MOD && n->n_args == 2 &&
                        strncmp(n->args[0]->type.format, "d:", 2) == 0 &&
                        strncmp(n->args[1]->type.format, "d:", 2) == 0;
        if (n->n_args != 2 ||
            (!decimals && strcmp(n->args[0]->type.format, n->args[1]->type.format) != 0))
            abort();
    }
    if ((n->op == GNV_EX_IN || n->op == GNV_EX_BETWEEN) && n->n_args >= 2)
        for (int32_t i = 1; i < n->n_args; i++)
            if (strcmp(n->args[0]->type.format, n->args[i]->type.format) != 0)
                abort();
    for (int32_t i = 0; i < n->n_args; i++)
        check_bound(n->args[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const struct ArrowSchema *schema = fuzz_schema();
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    gnv_expr *e = NULL, *e2 = NULL;
    gnv_buf b = GNV_BUF_INIT, b2 = GNV_BUF_INIT;
    int rc = gnv__expr_parse(&e, text);
    if (rc < 0 && gnv_error_last() == NULL)
        abort();
    if (rc == GNV_OK) {
        if (gnv__expr_to_string(&b, e->root, false) != GNV_OK)
            abort();
        /* the printed form parses back to the same tree (except timestamps that a time
         * zone offset moved out of years 0000-9999, which have no text form) */
        if (gnv__expr_parse(&e2, b.ptr) == GNV_OK) {
            if (gnv__expr_to_string(&b2, e2->root, false) != GNV_OK || strcmp(b.ptr, b2.ptr) != 0)
                abort();
        } else if (!strstr(gnv_error_last()->message, "invalid TIMESTAMP literal")) {
            abort();
        }
        rc = gnv__expr_bind(e, schema);
        if (rc < 0 && gnv_error_last() == NULL)
            abort();
        if (rc == GNV_OK) {
            struct ArrowSchema out;
            check_bound(e->root);
            gnv_buf_dispose(&b2);
            if (gnv__expr_to_string(&b2, e->root, true) != GNV_OK)
                abort();
            if (gnv__expr_result_schema(&out, e, "r") != GNV_OK)
                abort();
            gnv__schema_release(&out);
            if (gnv__expr_bind(e, schema) != GNV_OK)
                abort();
            check_bound(e->root);
        }
    }
    gnv_buf_dispose(&b);
    gnv_buf_dispose(&b2);
    gnv__expr_free(e);
    gnv__expr_free(e2);
    free(text);
    return 0;
}
