/**
 * @file geneva.h
 * @brief The whole public API of libgeneva.
 * @defgroup geneva libgeneva
 * @{
 */
#ifndef GENEVA_GENEVA_H
#define GENEVA_GENEVA_H

#include "arrow.h"
#include "arrow_abi.h"
#include "common.h"
#include "db.h"
#include "errors.h"
#include "job.h"
#include "table.h"
#include "udf.h"

/** @} */
#endif
