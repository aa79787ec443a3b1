/* A shared object that is not a UDF plugin: it lacks gnv_udf_plugin_init. */
__attribute__((visibility("default"))) int not_a_plugin(void);

int not_a_plugin(void)
{
    return 42;
}
