/*
 * pipeline.c: read, transform, write, with the transform spread over
 * worker threads.  The calling thread reads and writes (GDAL datasets
 * belong to one thread); workers, each with a context of its own (GEOS
 * handle, PROJ context), run the per-feature stage and build the output
 * features.  Batches are written in the order they were read, so the
 * output is the same bytes for any number of threads.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kcn_internal.h"

#define PIPE_BATCH 64		/* features per batch */
#define PIPE_LISTED 20		/* rejections listed without -v */

struct pipe_item {
	OGRFeatureH in;		/* as read; destroyed by the worker */
	OGRFeatureH out;	/* ready for kcni_writer_put, or NULL */
	OGRFeatureH *more;	/* more outputs of it, ready too */
	int nmore;
	enum kcn_status st;
	int read_error;		/* GDAL read it with an error */
	int dropped;		/* the stage left nothing to write */
	char *msg;		/* why it was rejected */
	char *note;		/* what the stage changed */
};

struct pipe_batch {
	struct pipe_item item[PIPE_BATCH];
	int n;
	long long first;	/* number of the first feature, from 1 */
	int done;
};

struct pipe {
	struct kcn_ctx *ctx;
	struct kcn_writer *wr;
	const struct kcni_stage *stage;
	const char *label;
	struct kcni_tally tally;

	pthread_mutex_t mu;
	pthread_cond_t work;	/* a batch is waiting, or stop */
	pthread_cond_t done;	/* a batch is finished */
	struct pipe_batch **queue;	/* waiting for a worker, FIFO */
	int qhead, qlen, qcap;
	int stop;
};

/*
 * The reason in a message, without its details: up to " (", and for
 * geometry reasons (and repairs, which lose their "repaired: ") up to
 * ";", else up to the first ": ".
 */
static void
pipe_reason_key(const char *msg, char *key, size_t size)
{
	size_t n;

	if (strncmp(msg, "repaired: ", 10) == 0)
		msg += 10;
	snprintf(key, size, "%s", msg);
	if ((n = strcspn(key, "(")) > 0 && key[n] == '(' && key[n - 1] == ' ')
		key[n - 1] = '\0';
	if (strncmp(key, "invalid geometry: ", 18) == 0 ||
	    strchr(key, ':') == NULL)
		key[strcspn(key, ";")] = '\0';
	else if (strstr(key, ": ") != NULL)
		*strstr(key, ": ") = '\0';
}

/* Counts MSG under its reason in LIST. */
static void
pipe_count(struct kcni_reason **list, int *n, const char *msg)
{
	char key[256];
	struct kcni_reason *r;

	pipe_reason_key(msg, key, sizeof(key));
	for (int i = 0; i < *n; i++)
		if (strcmp((*list)[i].text, key) == 0) {
			(*list)[i].n++;
			return;
		}
	if ((r = realloc(*list, (*n + 1) * sizeof(**list))) == NULL)
		return;
	*list = r;
	if ((r[*n].text = strdup(key)) == NULL)
		return;
	r[*n].n = 1;
	(*n)++;
}

void
kcni_tally_free(struct kcni_tally *t)
{
	if (t == NULL)
		return;
	for (int i = 0; i < t->nskipped_by; i++)
		free(t->skipped_by[i].text);
	for (int i = 0; i < t->nnoted_by; i++)
		free(t->noted_by[i].text);
	free(t->skipped_by);
	free(t->noted_by);
	t->skipped_by = t->noted_by = NULL;
	t->nskipped_by = t->nnoted_by = 0;
}

static char *
pipe_msg(struct kcn_ctx *ctx)
{
	char *m = strdup(kcn_ctx_errmsg(ctx));

	kcn_ctx_clear(ctx);
	return m;
}

/* The stage and the output feature for one item, in WCTX. */
static void
pipe_apply(struct pipe *p, struct kcn_ctx *wctx, void *state,
    struct pipe_item *it)
{
	OGRFeatureH *more = NULL;
	int nmore = 0;

	if (it->st == KCN_OK && p->stage->apply != NULL) {
		it->st = p->stage->apply(wctx, state, &it->in);
		it->note = kcni_note_take(wctx);
		nmore = kcni_emit_take(wctx, &more);
	}
	if (it->st == KCN_OK && it->in == NULL && nmore > 0) {
		/* The first of the emitted features stands for the input. */
		it->in = more[0];
		memmove(more, more + 1, --nmore * sizeof(*more));
	}
	/* A stage that leaves no feature drops it: nothing to write. */
	it->dropped = it->st == KCN_OK && it->in == NULL;
	if (it->st == KCN_OK && !it->dropped)
		it->st = kcni_writer_prepare(wctx, p->wr, it->in, &it->out);
	for (int i = 0; i < nmore; i++) {
		OGRFeatureH o = NULL;

		if (it->st == KCN_OK)
			it->st = kcni_writer_prepare(wctx, p->wr, more[i], &o);
		if (o != more[i])
			OGR_F_Destroy(more[i]);
		more[it->nmore++] = o;
		if (o == NULL)
			it->nmore--;
	}
	if (it->st != KCN_OK) {
		/* All of the feature, or none of it. */
		if (it->out != NULL && it->out != it->in)
			OGR_F_Destroy(it->out);
		it->out = NULL;
		for (int i = 0; i < it->nmore; i++)
			OGR_F_Destroy(more[i]);
		it->nmore = 0;
	}
	if (it->nmore > 0)
		it->more = more;
	else
		free(more);
	if (it->st != KCN_OK && it->msg == NULL)
		it->msg = pipe_msg(wctx);
	/* The input may itself be the output feature. */
	if (it->out != it->in)
		OGR_F_Destroy(it->in);
	it->in = NULL;
}

static void *
pipe_worker(void *arg)
{
	struct pipe *p = arg;
	struct kcn_ctx *wctx = kcn_ctx_new();
	void *state = p->stage->ud;

	if (wctx != NULL) {
		kcni_ctx_inherit(wctx, p->ctx);
		if (p->stage->init != NULL)
			state = p->stage->init(wctx, p->stage->ud);
	}
	for (;;) {
		struct pipe_batch *b;

		pthread_mutex_lock(&p->mu);
		while (p->qlen == 0 && !p->stop)
			pthread_cond_wait(&p->work, &p->mu);
		if (p->qlen == 0) {
			pthread_mutex_unlock(&p->mu);
			break;
		}
		b = p->queue[p->qhead];
		p->qhead = (p->qhead + 1) % p->qcap;
		p->qlen--;
		pthread_mutex_unlock(&p->mu);
		for (int i = 0; i < b->n; i++) {
			struct pipe_item *it = &b->item[i];

			if (wctx == NULL || (p->stage->init != NULL &&
			    state == NULL)) {
				/* No context: fail every feature, loudly. */
				it->st = KCN_EOS;
				it->msg = strdup("cannot set up a worker "
				    "thread: out of memory");
				OGR_F_Destroy(it->in);
				it->in = NULL;
				continue;
			}
			pipe_apply(p, wctx, state, it);
		}
		pthread_mutex_lock(&p->mu);
		b->done = 1;
		pthread_cond_broadcast(&p->done);
		pthread_mutex_unlock(&p->mu);
	}
	if (p->stage->fini != NULL && state != NULL && p->stage->init)
		p->stage->fini(state);
	kcn_ctx_free(wctx);
	return NULL;
}

/*
 * Writes one finished item, or reports it as rejected.  Returns a status
 * that stops the run (a write error, a system error), else KCN_OK.
 */
static enum kcn_status
pipe_emit(struct pipe *p, struct pipe_item *it, long long num)
{
	char where[4300];
	enum kcn_status st = KCN_OK;

	if (it->dropped) {
		p->tally.dropped++;
		free(it->note);
		it->note = NULL;
		return KCN_OK;
	}
	/* The label is made only for a message: most features have none. */
	if (it->out != NULL) {
		st = kcni_writer_put(p->ctx, p->wr, it->out);
		OGR_F_Destroy(it->out);
		it->out = NULL;
		for (int i = 0; i < it->nmore; i++) {
			if (st == KCN_OK)
				st = kcni_writer_put(p->ctx, p->wr, it->more[i]);
			OGR_F_Destroy(it->more[i]);
		}
		free(it->more);
		it->more = NULL;
		it->nmore = 0;
		if (it->note != NULL) {
			snprintf(where, sizeof(where), "%s:%lld", p->label,
			    num);
			p->tally.noted++;
			pipe_count(&p->tally.noted_by, &p->tally.nnoted_by,
			    it->note);
			kcni_msg(p->ctx, KCN_MSG_INFO, where, "%s", it->note);
		}
		free(it->note);
		it->note = NULL;
		return st;
	}
	free(it->note);
	it->note = NULL;
	snprintf(where, sizeof(where), "%s:%lld", p->label, num);
	if (it->st != KCN_REJECTED && !it->read_error) {
		/* Not the feature's fault: the run stops here. */
		kcni_error(p->ctx, it->st, where, "%s",
		    it->msg ? it->msg : kcn_status_name(it->st));
		st = it->st;
	} else {
		p->tally.rejected++;
		pipe_count(&p->tally.skipped_by, &p->tally.nskipped_by,
		    it->msg ? it->msg : "rejected");
		kcni_msg(p->ctx, p->tally.rejected <= PIPE_LISTED ?
		    KCN_MSG_WARNING : KCN_MSG_INFO, where,
		    "feature skipped: %s", it->msg ? it->msg : "rejected");
		if (p->tally.rejected == PIPE_LISTED + 1)
			kcni_msg(p->ctx, KCN_MSG_WARNING, p->label, "more "
			    "features skipped: counted, listed with -v");
	}
	free(it->msg);
	it->msg = NULL;
	return st;
}

/* Fills B from the reader; returns the read status (items may be 0). */
static enum kcn_status
pipe_fill(struct pipe *p, struct kcn_reader *rd, struct pipe_batch *b,
    int max, int *eof)
{
	enum kcn_status st;
	OGRFeatureH f;

	b->n = 0;
	b->done = 0;
	b->first = kcn_reader_count(rd) + 1;
	while (b->n < max) {
		st = kcn_reader_next(p->ctx, rd, &f);
		if (f == NULL) {
			*eof = 1;
			return st;
		}
		b->item[b->n].in = f;
		b->item[b->n].out = NULL;
		b->item[b->n].msg = NULL;
		b->item[b->n].note = NULL;
		b->item[b->n].more = NULL;
		b->item[b->n].nmore = 0;
		b->item[b->n].st = st;
		b->item[b->n].read_error = st != KCN_OK;
		b->item[b->n].dropped = 0;
		if (st != KCN_OK)
			b->item[b->n].msg = pipe_msg(p->ctx);
		b->n++;
	}
	return KCN_OK;
}

static void
pipe_discard(struct pipe_batch *b)
{
	for (int i = 0; i < b->n; i++) {
		if (b->item[i].in != NULL)
			OGR_F_Destroy(b->item[i].in);
		if (b->item[i].out != NULL)
			OGR_F_Destroy(b->item[i].out);
		for (int k = 0; k < b->item[i].nmore; k++)
			OGR_F_Destroy(b->item[i].more[k]);
		free(b->item[i].more);
		free(b->item[i].msg);
		free(b->item[i].note);
	}
	b->n = 0;
}

/*
 * Workers for THREADS threads in all (0: one per core): the calling
 * thread reads and writes, the others transform.  0 means no workers.
 */
static int
pipe_threads(int threads)
{
	long n = threads;

	if (n <= 0)
		n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 1 ? (int)n - 1 : 0;
}

/* One thread: the same steps, feature by feature. */
static enum kcn_status
pipe_inline(struct pipe *p, struct kcn_reader *rd, double total)
{
	struct pipe_batch *b = calloc(1, sizeof(*b));
	void *state = p->stage->ud;
	enum kcn_status st = KCN_OK, rst = KCN_OK;
	int eof = 0;

	if (b == NULL)
		return kcni_error(p->ctx, KCN_EOS, p->label, "out of memory");
	if (p->stage->init != NULL &&
	    (state = p->stage->init(p->ctx, p->stage->ud)) == NULL) {
		free(b);
		return kcn_ctx_status(p->ctx);
	}
	/* A batch of one: each feature is freed before the next is read,
	   which keeps the allocator's chunks hot. */
	while (st == KCN_OK && !eof) {
		rst = pipe_fill(p, rd, b, 1, &eof);
		for (int i = 0; i < b->n; i++) {
			pipe_apply(p, p->ctx, state, &b->item[i]);
			if (st == KCN_OK)
				st = pipe_emit(p, &b->item[i], b->first + i);
		}
		pipe_discard(b);
		if ((kcn_reader_count(rd) & 1023) == 0)
			kcni_progress(p->ctx, p->label,
			    (double)kcn_reader_count(rd), total, 0);
	}
	if (p->stage->fini != NULL && p->stage->init != NULL)
		p->stage->fini(state);
	free(b);
	return st != KCN_OK ? st : rst;
}

enum kcn_status
kcni_pipeline(struct kcn_ctx *ctx, struct kcn_reader *rd,
    struct kcn_writer *wr, const struct kcni_stage *stage, int threads,
    const char *label, struct kcni_tally *tally)
{
	struct pipe p = { 0 };
	struct pipe_batch **ring = NULL;
	pthread_t *tid = NULL;
	enum kcn_status st = KCN_OK, rst = KCN_OK;
	OGRLayerH layer = kcn_reader_layer(rd);
	double total = OGR_L_TestCapability(layer, OLCFastFeatureCount) ?
	    (double)OGR_L_GetFeatureCount(layer, FALSE) : 0;
	int nw = pipe_threads(threads), nring = 0, head = 0, inflight = 0;
	int started = 0, eof = 0;

	p.tally = *tally;	/* counts add up over runs */
	p.ctx = ctx;
	p.wr = wr;
	p.stage = stage;
	p.label = label;
	if (nw == 0) {
		st = pipe_inline(&p, rd, total);
		goto out;
	}
	/* Enough batches in flight to keep every worker busy. */
	nring = 4 * nw;
	p.qcap = nring;
	if ((ring = calloc(nring, sizeof(*ring))) == NULL ||
	    (p.queue = calloc(nring, sizeof(*p.queue))) == NULL ||
	    (tid = calloc(nw, sizeof(*tid))) == NULL) {
		st = kcni_error(ctx, KCN_EOS, label, "out of memory");
		goto out;
	}
	for (int i = 0; i < nring; i++)
		if ((ring[i] = calloc(1, sizeof(**ring))) == NULL) {
			st = kcni_error(ctx, KCN_EOS, label, "out of memory");
			goto out;
		}
	pthread_mutex_init(&p.mu, NULL);
	pthread_cond_init(&p.work, NULL);
	pthread_cond_init(&p.done, NULL);
	for (; started < nw; started++)
		if (pthread_create(&tid[started], NULL, pipe_worker, &p) != 0)
			break;
	if (started == 0) {
		st = kcni_error(ctx, KCN_EOS, label, "cannot start threads");
		goto join;
	}
	while (st == KCN_OK && (!eof || inflight > 0)) {
		/* Keep the ring full while there is input. */
		while (!eof && inflight < nring && rst == KCN_OK) {
			struct pipe_batch *b = ring[(head + inflight) % nring];

			rst = pipe_fill(&p, rd, b, PIPE_BATCH, &eof);
			pthread_mutex_lock(&p.mu);
			p.queue[(p.qhead + p.qlen) % p.qcap] = b;
			p.qlen++;
			pthread_cond_signal(&p.work);
			pthread_mutex_unlock(&p.mu);
			inflight++;
			if (rst != KCN_OK)
				eof = 1;
		}
		if (inflight == 0)
			break;
		/* Write the oldest batch once it is done. */
		{
			struct pipe_batch *b = ring[head];

			pthread_mutex_lock(&p.mu);
			while (!b->done)
				pthread_cond_wait(&p.done, &p.mu);
			pthread_mutex_unlock(&p.mu);
			for (int i = 0; i < b->n && st == KCN_OK; i++)
				st = pipe_emit(&p, &b->item[i], b->first + i);
			pipe_discard(b);
			head = (head + 1) % nring;
			inflight--;
		}
		kcni_progress(ctx, label, (double)kcn_reader_count(rd), total,
		    0);
	}
join:
	pthread_mutex_lock(&p.mu);
	p.stop = 1;
	pthread_cond_broadcast(&p.work);
	pthread_mutex_unlock(&p.mu);
	for (int i = 0; i < started; i++)
		pthread_join(tid[i], NULL);
	/* After an early stop, batches still in flight are dropped. */
	for (int i = 0; i < nring; i++)
		if (ring[i] != NULL)
			pipe_discard(ring[i]);
	pthread_mutex_destroy(&p.mu);
	pthread_cond_destroy(&p.work);
	pthread_cond_destroy(&p.done);
	if (st == KCN_OK)
		st = rst;
out:
	kcni_progress(ctx, label, (double)kcn_reader_count(rd),
	    (double)kcn_reader_count(rd), 1);
	if (ring != NULL)
		for (int i = 0; i < nring; i++)
			free(ring[i]);
	free(ring);
	free(p.queue);
	free(tid);
	*tally = p.tally;
	return st;
}

enum kcn_status
kcni_pipeline_close(struct kcn_ctx *ctx, struct kcn_reader *rd,
    struct kcn_writer *wr, enum kcn_status st, const char *label,
    const struct kcni_tally *tally, const char *written)
{
	long long n = kcn_writer_count(wr);

	if (st != KCN_OK) {
		kcn_writer_abort(wr);
		return st;
	}
	if (tally->rejected > 0)
		kcni_msg(ctx, KCN_MSG_WARNING, label, "%lld of %lld features "
		    "skipped", tally->rejected, kcn_reader_count(rd));
	if ((st = kcn_writer_close(ctx, wr)) != KCN_OK)
		return st;
	kcni_msg(ctx, KCN_MSG_INFO, label, "%lld features read, %lld %s",
	    kcn_reader_count(rd), n, written);
	return tally->rejected > 0 ? KCN_REJECTED : KCN_OK;
}

enum kcn_status
kcni_pipeline_finish(struct kcn_ctx *ctx, struct kcn_reader *rd,
    struct kcn_writer *wr, const struct kcni_stage *stage, int threads,
    const char *label, struct kcni_tally *tally, const char *written)
{
	enum kcn_status st = kcni_pipeline(ctx, rd, wr, stage, threads,
	    label, tally);

	return kcni_pipeline_close(ctx, rd, wr, st, label, tally, written);
}
