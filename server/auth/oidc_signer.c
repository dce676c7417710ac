/*
 * oidc_signer.c - the bank-ID login's front channel off the network thread (oidc.h): a
 * thread of its own builds each authorization URL, whose request object costs an RSA-2048
 * signature (about a millisecond), so that a flood of /start requests queues here, bounded,
 * instead of stalling every connection the network thread serves.
 *
 * Jobs carry login tokens and their derived secrets: they are wiped when freed, and nothing
 * of them is logged.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <sodium.h>

#include "log.h"
#include "oidc.h"

#define OIDC_SIGNER_NICE 10 /* below the network thread: a flood of logins yields to the served */

/* A job on the waiting or the done list. */
struct oidc_sign_node {
	struct oidc_sign_node *next;
	struct oidc_sign_job job;
};

struct oidc_signer {
	const struct oidc_config *cfg;
	oidc_wake_fn wake;
	void *wake_arg;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	/* under mu */
	struct oidc_sign_node *waiting, *waiting_tail, *done, *done_tail;
	size_t queued; /* submitted, not yet taken back */
	int stopping;
};

/* Wipes and frees a node and the URL it holds. */
static void oidc_sign_node_free(struct oidc_sign_node *n)
{
	if (n->job.url != NULL) {
		sodium_memzero(n->job.url, strlen(n->job.url));
		free(n->job.url);
	}
	sodium_memzero(n, sizeof *n);
	free(n);
}

static void oidc_sign_list_free(struct oidc_sign_node *n)
{
	struct oidc_sign_node *next;

	for (; n != NULL; n = next) {
		next = n->next;
		oidc_sign_node_free(n);
	}
}

/* The next waiting job, or NULL when stopping; blocks until one of the two. */
static struct oidc_sign_node *oidc_signer_next(struct oidc_signer *s)
{
	struct oidc_sign_node *n = NULL;

	pthread_mutex_lock(&s->mu);
	while (!s->stopping && s->waiting == NULL)
		pthread_cond_wait(&s->cv, &s->mu);
	if (!s->stopping) {
		n = s->waiting;
		s->waiting = n->next;
		if (s->waiting == NULL)
			s->waiting_tail = NULL;
		n->next = NULL;
	}
	pthread_mutex_unlock(&s->mu);
	return n;
}

static void *oidc_signer_main(void *arg)
{
	struct oidc_signer *s = arg;
	struct oidc_sign_node *n;

	/* Linux: a thread's own nice value; elsewhere this may apply to the process, so only here. */
#ifdef __linux__
	if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), OIDC_SIGNER_NICE) != 0)
		log_info("oidc: the signing thread keeps its priority");
#endif
	while ((n = oidc_signer_next(s)) != NULL) {
		n->job.url = oidc_authorize_url(s->cfg, &n->job.login, n->job.now_s);
		sodium_memzero(&n->job.login, sizeof n->job.login);
		pthread_mutex_lock(&s->mu);
		if (s->done_tail != NULL)
			s->done_tail->next = n;
		else
			s->done = n;
		s->done_tail = n;
		pthread_mutex_unlock(&s->mu);
		s->wake(s->wake_arg);
	}
	return NULL;
}

struct oidc_signer *oidc_signer_start(const struct oidc_config *cfg, oidc_wake_fn wake, void *wake_arg)
{
	struct oidc_signer *s = calloc(1, sizeof *s);

	if (s == NULL)
		return NULL;
	s->cfg = cfg;
	s->wake = wake;
	s->wake_arg = wake_arg;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	if (pthread_create(&s->thread, NULL, oidc_signer_main, s) != 0) {
		pthread_cond_destroy(&s->cv);
		pthread_mutex_destroy(&s->mu);
		free(s);
		return NULL;
	}
	return s;
}

int oidc_signer_submit(struct oidc_signer *s, const struct oidc_sign_job *job)
{
	struct oidc_sign_node *n;

	pthread_mutex_lock(&s->mu);
	if (s->queued >= OIDC_SIGN_QUEUE_MAX || (n = calloc(1, sizeof *n)) == NULL) {
		pthread_mutex_unlock(&s->mu);
		return -1;
	}
	n->job = *job;
	n->job.url = NULL;
	if (s->waiting_tail != NULL)
		s->waiting_tail->next = n;
	else
		s->waiting = n;
	s->waiting_tail = n;
	s->queued++;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
	return 0;
}

int oidc_signer_take(struct oidc_signer *s, struct oidc_sign_job *out)
{
	struct oidc_sign_node *n;

	pthread_mutex_lock(&s->mu);
	n = s->done;
	if (n != NULL) {
		s->done = n->next;
		if (s->done == NULL)
			s->done_tail = NULL;
		s->queued--;
	}
	pthread_mutex_unlock(&s->mu);
	if (n == NULL)
		return 0;
	*out = n->job;
	n->job.url = NULL; /* now the caller's */
	oidc_sign_node_free(n);
	return 1;
}

void oidc_signer_stop(struct oidc_signer *s)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&s->mu);
	s->stopping = 1;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
	pthread_join(s->thread, NULL);
	oidc_sign_list_free(s->waiting);
	oidc_sign_list_free(s->done);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	free(s);
}
