/* System tables: created under <db>/__system on first use, opened after, never listed
 * or creatable as user tables. */
#include "gnv_test.h"

#include "arrow/arrow.h"
#include "table/table.h"

static void test_system_table(void **state)
{
    (void)state;
    char *dir = gnv_test_tmpdir();
    gnv_db *db;
    GNV_ASSERT_OK(gnv_db_open(&db, dir, NULL));
    struct ArrowSchema schema, other;
    GNV_ASSERT_OK(gnv__type_from_string(&schema, "struct<id: int64, msg: utf8>", ""));
    gnv_table *t;
    GNV_ASSERT_OK(gnv__db_system_table(&t, db, "geneva_things", &schema));
    assert_string_equal(gnv_table_name(t), "__system/geneva_things");
    assert_int_equal(gnv_table_version(t), 1);
    gnv_table_close(t);
    char path[1024];
    snprintf(path, sizeof path, "%s/__system/geneva_things.lance/_versions", dir);
    assert_int_equal(access(path, F_OK), 0);
    /* opened, not created again */
    GNV_ASSERT_OK(gnv__db_system_table(&t, db, "geneva_things", &schema));
    assert_int_equal(gnv_table_version(t), 1);
    gnv_table_close(t);
    /* a different schema is refused, naming the table */
    GNV_ASSERT_OK(gnv__type_from_string(&other, "struct<id: int32>", ""));
    GNV_ASSERT_ERR(gnv__db_system_table(&t, db, "geneva_things", &other), GNV_EINVAL,
                   "geneva_things");
    /* not a user table: not listed, not creatable by users */
    char **names;
    size_t n;
    GNV_ASSERT_OK(gnv_db_table_names(db, &names, &n));
    assert_int_equal(n, 0);
    gnv_db_table_names_free(names, n);
    GNV_ASSERT_ERR(gnv_db_create_table(&t, db, "__system/x", NULL, &schema, NULL), GNV_EINVAL,
                   "'/'");
    GNV_ASSERT_ERR(gnv_db_open_table(&t, db, "__system/geneva_things"), GNV_EINVAL, "'/'");
    gnv__schema_release(&schema);
    gnv__schema_release(&other);
    gnv_db_close(db);
    gnv_test_rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_system_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
