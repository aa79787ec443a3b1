/* A fixed-size thread pool with one FIFO queue. gnv__pool_wait() waits for the queue
 * to drain and every running task to end. */
#include <pthread.h>

#include "util.h"

typedef struct task {
    gnv_pool_fn fn;
    void *arg;
    struct task *next;
} task;

struct gnv_pool {
    pthread_mutex_t mu;
    pthread_cond_t has_work, idle;
    task *head, *tail;
    int pending; /* queued + running */
    bool stopping;
    int nthreads;
    pthread_t *threads;
};

static void *worker(void *p)
{
    gnv_pool *pool = p;
    pthread_mutex_lock(&pool->mu);
    for (;;) {
        while (!pool->head && !pool->stopping)
            pthread_cond_wait(&pool->has_work, &pool->mu);
        if (!pool->head && pool->stopping)
            break;
        task *t = pool->head;
        pool->head = t->next;
        if (!pool->head)
            pool->tail = NULL;
        pthread_mutex_unlock(&pool->mu);
        t->fn(t->arg);
        gnv__free(t);
        pthread_mutex_lock(&pool->mu);
        if (--pool->pending == 0)
            pthread_cond_broadcast(&pool->idle);
    }
    pthread_mutex_unlock(&pool->mu);
    return NULL;
}

int gnv__pool_new(gnv_pool **out, int nthreads)
{
    *out = NULL;
    if (nthreads <= 0)
        nthreads = gnv__ncpus();
    gnv_pool *pool = gnv__calloc(1, sizeof *pool);
    if (!pool)
        return gnv__error_oom();
    pool->threads = gnv__calloc((size_t)nthreads, sizeof(pthread_t));
    if (!pool->threads) {
        gnv__free(pool);
        return gnv__error_oom();
    }
    pthread_mutex_init(&pool->mu, NULL);
    pthread_cond_init(&pool->has_work, NULL);
    pthread_cond_init(&pool->idle, NULL);
    for (int i = 0; i < nthreads; i++) {
        if (pthread_create(&pool->threads[i], NULL, worker, pool) != 0) {
            pool->nthreads = i;
            gnv__pool_free(pool);
            return gnv__error_set(GNV_ERROR, GNV_SUB_UTIL, "cannot start thread %d of %d", i + 1,
                                  nthreads);
        }
        pool->nthreads = i + 1;
    }
    *out = pool;
    return GNV_OK;
}

int gnv__pool_submit(gnv_pool *pool, gnv_pool_fn fn, void *arg)
{
    task *t = gnv__malloc(sizeof *t);
    if (!t)
        return gnv__error_oom();
    t->fn = fn;
    t->arg = arg;
    t->next = NULL;
    pthread_mutex_lock(&pool->mu);
    if (pool->tail)
        pool->tail->next = t;
    else
        pool->head = t;
    pool->tail = t;
    pool->pending++;
    pthread_cond_signal(&pool->has_work);
    pthread_mutex_unlock(&pool->mu);
    return GNV_OK;
}

void gnv__pool_wait(gnv_pool *pool)
{
    pthread_mutex_lock(&pool->mu);
    while (pool->pending > 0)
        pthread_cond_wait(&pool->idle, &pool->mu);
    pthread_mutex_unlock(&pool->mu);
}

int gnv__pool_size(const gnv_pool *pool)
{
    return pool->nthreads;
}

void gnv__pool_free(gnv_pool *pool)
{
    if (!pool)
        return;
    gnv__pool_wait(pool);
    pthread_mutex_lock(&pool->mu);
    pool->stopping = true;
    pthread_cond_broadcast(&pool->has_work);
    pthread_mutex_unlock(&pool->mu);
    for (int i = 0; i < pool->nthreads; i++)
        pthread_join(pool->threads[i], NULL);
    pthread_mutex_destroy(&pool->mu);
    pthread_cond_destroy(&pool->has_work);
    pthread_cond_destroy(&pool->idle);
    gnv__free(pool->threads);
    gnv__free(pool);
}
