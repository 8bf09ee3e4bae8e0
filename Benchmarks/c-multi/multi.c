// A plain C curl_multi loop: the reference CurlTransport's throughput is measured against.
//
// Sends N requests to one URL, keeping C in flight on one multi handle driven by curl_multi_poll on
// one thread; easy handles are re-added as soon as their transfer ends (so they keep their
// connections), bodies are discarded. GET by default; with `--post FILE`, a POST of FILE's bytes as
// `application/json` (what `scripts/bench --compare` sends). Prints requests per second, or with
// `--json` one JSON line with the figures `scripts/bench --compare` gathers: requests per second,
// p50/p99 latency, CPU seconds per 10,000 requests (getrusage, user + system), peak resident memory,
// and mallocs per request when malloc-interposer's library is preloaded (LD_PRELOAD), else null.
//
//   cc -O2 -o /tmp/multi Benchmarks/c-multi/multi.c -lcurl -ldl
//   /tmp/multi http://127.0.0.1:8089/small 200000 64
//   /tmp/multi http://127.0.0.1:8089/v1/chat/completions 200000 64 http1 --post body.json --json
//       [--seconds 10] [--warmup 200]
#define _GNU_SOURCE
#include <curl/curl.h>
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static size_t discard(char *data, size_t size, size_t count, void *context) {
    (void)data;
    (void)context;
    return size * count;
}

static double now_seconds(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

static double cpu_seconds(long *peak_kib) {
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    if (peak_kib) *peak_kib = usage.ru_maxrss;
    return (double)usage.ru_utime.tv_sec + (double)usage.ru_utime.tv_usec / 1e6 + (double)usage.ru_stime.tv_sec +
           (double)usage.ru_stime.tv_usec / 1e6;
}

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double percentile(const double *sorted, long count, double fraction) {
    if (count <= 0) return 0;
    long rank = (long)(fraction * (double)count + 0.999999) - 1;
    if (rank < 0) rank = 0;
    if (rank >= count) rank = count - 1;
    return sorted[rank];
}

/// The request every easy handle makes.
struct Request {
    const char *url;
    long version;
    const char *body;
    long body_size;
    struct curl_slist *headers;
};

/// Sends up to `total` requests, `concurrency` at a time, for at most `limit` seconds; stores each
/// request's latency (seconds) in `latencies` when not NULL; returns the number sent.
static long run(CURLM *multi, const struct Request *request, long total, int concurrency, double limit,
                double *latencies, long *failed) {
    long started = 0, finished = 0;
    double deadline = now_seconds() + limit;
    double *starts = calloc((size_t)concurrency, sizeof(double));
    for (int i = 0; i < concurrency && started < total; i++, started++) {
        CURL *easy = curl_easy_init();
        curl_easy_setopt(easy, CURLOPT_URL, request->url);
        curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, discard);
        curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, request->version);
        curl_easy_setopt(easy, CURLOPT_PRIVATE, (void *)(intptr_t)i);
        if (request->body) {
            curl_easy_setopt(easy, CURLOPT_POSTFIELDS, request->body);
            curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE, request->body_size);
            curl_easy_setopt(easy, CURLOPT_HTTPHEADER, request->headers);
        }
        starts[i] = now_seconds();
        curl_multi_add_handle(multi, easy);
    }
    long in_flight = started;
    while (in_flight > 0) {
        int running = 0;
        curl_multi_perform(multi, &running);
        CURLMsg *message;
        int queued;
        while ((message = curl_multi_info_read(multi, &queued)) != NULL) {
            if (message->msg != CURLMSG_DONE) continue;
            CURL *easy = message->easy_handle;
            long status = 0;
            char *private_data = NULL;
            curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
            curl_easy_getinfo(easy, CURLINFO_PRIVATE, &private_data);
            int slot = (int)(intptr_t)private_data;
            double end = now_seconds();
            if (latencies) latencies[finished] = end - starts[slot];
            if (message->data.result != CURLE_OK || status != 200) (*failed)++;
            finished++;
            in_flight--;
            curl_multi_remove_handle(multi, easy);
            if (started < total && end < deadline) {
                started++;
                in_flight++;
                starts[slot] = now_seconds();
                curl_multi_add_handle(multi, easy);
            } else {
                curl_easy_cleanup(easy);
            }
        }
        if (in_flight > 0) curl_multi_poll(multi, NULL, 0, 1000, NULL);
    }
    free(starts);
    return finished;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr,
                "usage: %s URL REQUESTS CONCURRENCY [http1|http2] [--post FILE] [--seconds S] [--warmup N] [--json]\n",
                argv[0]);
        return 2;
    }
    struct Request request = {argv[1], CURL_HTTP_VERSION_1_1, NULL, 0, NULL};
    long total = atol(argv[2]);
    int concurrency = atoi(argv[3]);
    double limit = 1e9;
    long warmup = 0;
    int json = 0;
    for (int i = 4; i < argc; i++) {
        if (strcmp(argv[i], "--post") == 0 && i + 1 < argc) {
            FILE *file = fopen(argv[++i], "rb");
            if (!file) {
                perror(argv[i]);
                return 2;
            }
            static char body[65536];
            request.body_size = (long)fread(body, 1, sizeof(body) - 1, file);
            fclose(file);
            request.body = body;
            request.headers = curl_slist_append(NULL, "Content-Type: application/json");
            request.headers = curl_slist_append(request.headers, "Authorization: Bearer bench-key");
        } else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) {
            limit = atof(argv[++i]);
        } else if (strcmp(argv[i], "--warmup") == 0 && i + 1 < argc) {
            warmup = atol(argv[++i]);
        } else if (strcmp(argv[i], "--json") == 0) {
            json = 1;
        } else if (strncmp(argv[i], "http", 4) == 0 && strlen(argv[i]) > 4) {
            request.version = argv[i][4] == '2' ? CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE : CURL_HTTP_VERSION_1_1;
        } else {
            fprintf(stderr, "%s: unknown argument %s\n", argv[0], argv[i]);
            return 2;
        }
    }
    if (total <= 0 || concurrency <= 0 || limit <= 0 || warmup < 0) return 2;

    // malloc-interposer, when preloaded: counts the mallocs of the measured window.
    void (*interposer_reset)(void) = (void (*)(void))dlsym(RTLD_DEFAULT, "malloc_interposer_reset");
    void (*interposer_enable)(void) = (void (*)(void))dlsym(RTLD_DEFAULT, "malloc_interposer_enable");
    void (*interposer_disable)(void) = (void (*)(void))dlsym(RTLD_DEFAULT, "malloc_interposer_disable");
    void (*interposer_stats)(int64_t *, int64_t *, int64_t *, int64_t *, int64_t *, int64_t *) =
        (void (*)(int64_t *, int64_t *, int64_t *, int64_t *, int64_t *, int64_t *))dlsym(
            RTLD_DEFAULT, "malloc_interposer_get_stats");
    int counting = interposer_reset && interposer_enable && interposer_disable && interposer_stats;

    curl_global_init(CURL_GLOBAL_ALL);
    CURLM *multi = curl_multi_init();
    curl_multi_setopt(multi, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
    curl_multi_setopt(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)concurrency);
    curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, (long)concurrency);

    long failed = 0;
    if (warmup > 0) {
        run(multi, &request, warmup < concurrency ? concurrency : warmup, concurrency, 5, NULL, &failed);
        failed = 0;
    }
    double *latencies = malloc((size_t)total * sizeof(double));
    if (!latencies) return 2;
    if (counting) {
        interposer_reset();
        interposer_enable();
    }
    double cpu_before = cpu_seconds(NULL);
    double start = now_seconds();
    long sent = run(multi, &request, total, concurrency, limit, latencies, &failed);
    double elapsed = now_seconds() - start;
    long peak_kib = 0;
    double cpu = cpu_seconds(&peak_kib) - cpu_before;
    int64_t mallocs = 0, unused = 0;
    if (counting) {
        interposer_disable();
        interposer_stats(&mallocs, &unused, &unused, &unused, &unused, &unused);
    }
    if (json) {
        qsort(latencies, (size_t)sent, sizeof(double), compare_doubles);
        long requests = sent > 0 ? sent : 1;
        char allocations[32] = "null";
        if (counting && mallocs > 0) snprintf(allocations, sizeof(allocations), "%.1f", (double)mallocs / requests);
        printf("{\"contender\":\"c\",\"concurrency\":%d,\"requests\":%ld,\"failed\":%ld,\"seconds\":%.3f,"
               "\"rps\":%.1f,\"p50_us\":%.1f,\"p99_us\":%.1f,\"cpu_s_per_10k\":%.3f,\"allocs_per_request\":%s,"
               "\"peak_rss_kib\":%ld,\"version\":\"libcurl %s\"}\n",
               concurrency, sent, failed, elapsed, (double)sent / elapsed, percentile(latencies, sent, 0.5) * 1e6,
               percentile(latencies, sent, 0.99) * 1e6, cpu * 10000 / (double)requests, allocations, peak_kib,
               curl_version_info(CURLVERSION_NOW)->version);
    } else {
        printf("%ld requests, concurrency %d, %ld failed, %.2f s, %.0f requests/s\n", sent, concurrency, failed,
               elapsed, (double)sent / elapsed);
    }
    free(latencies);
    curl_slist_free_all(request.headers);
    curl_multi_cleanup(multi);
    curl_global_cleanup();
    return failed == 0 ? 0 : 1;
}
