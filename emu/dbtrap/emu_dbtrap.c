/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The dpdk-mana authors
 *
 * Doorbell capture by write-fault trapping: the registry of read-only
 * mappings, the SIGSEGV handler that decodes each x86-64 store into them, and
 * the sigaction()/signal() interposition that keeps the handler first.
 */

#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include "emu_dbtrap.h"

#ifdef EMU_DBTRAP_HAVE_VALGRIND_H
#include <valgrind/valgrind.h>
#define DBT_ON_VALGRIND()	RUNNING_ON_VALGRIND
#else
#define DBT_ON_VALGRIND()	0
#endif

#define DBT_EXPORT	__attribute__((visibility("default")))
#define DBT_PAGE	4096u

static char dbt_err[512];

static void
dbt_set_error(const char *msg)
{
	snprintf(dbt_err, sizeof(dbt_err), "%s", msg);
}

const char *
emu_dbtrap_last_error(void)
{
	return dbt_err;
}

#if defined(__x86_64__)

/* ------------------------------------------------------------ registry -- */

/*
 * One registered mapping. Written under dbt_lock with seq odd, read lock-free
 * by the handler (a seqlock: a reader retries when seq moved).
 */
struct dbt_map {
	_Atomic uint32_t seq;
	_Atomic uintptr_t base;
	_Atomic size_t len;
	_Atomic(emu_dbtrap_fn) fn;
	_Atomic(void *) arg;
};

struct dbt_hit {
	uintptr_t base;
	size_t len;
	emu_dbtrap_fn fn;
	void *arg;
};

static struct dbt_map dbt_maps[EMU_DBTRAP_MAX_MAPS];
static _Atomic unsigned int dbt_nmaps;		/* slots ever used */
static _Atomic uint64_t dbt_count;
static pthread_mutex_t dbt_lock = PTHREAD_MUTEX_INITIALIZER;
static bool dbt_valgrind;	/* its signal frames carry no XMM state */
static bool dbt_unusable;	/* valgrind without exact registers */

static void
dbt_map_write(struct dbt_map *m, uintptr_t base, size_t len, emu_dbtrap_fn fn, void *arg)
{
	uint32_t s = atomic_load_explicit(&m->seq, memory_order_relaxed);

	atomic_store_explicit(&m->seq, s + 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	atomic_store_explicit(&m->len, len, memory_order_relaxed);
	atomic_store_explicit(&m->fn, fn, memory_order_relaxed);
	atomic_store_explicit(&m->arg, arg, memory_order_relaxed);
	atomic_store_explicit(&m->base, base, memory_order_relaxed);
	atomic_store_explicit(&m->seq, s + 2, memory_order_release);
}

/* Async-signal-safe: the registered mapping holding @p addr, if any. */
static bool
dbt_lookup(uintptr_t addr, struct dbt_hit *h)
{
	unsigned int n = atomic_load_explicit(&dbt_nmaps, memory_order_acquire);
	unsigned int i;

	for (i = 0; i < n; i++) {
		struct dbt_map *m = &dbt_maps[i];
		uint32_t s;

		do {
			s = atomic_load_explicit(&m->seq, memory_order_acquire);
			h->base = atomic_load_explicit(&m->base, memory_order_relaxed);
			h->len = atomic_load_explicit(&m->len, memory_order_relaxed);
			h->fn = atomic_load_explicit(&m->fn, memory_order_relaxed);
			h->arg = atomic_load_explicit(&m->arg, memory_order_relaxed);
			atomic_thread_fence(memory_order_acquire);
		} while ((s & 1) || s != atomic_load_explicit(&m->seq, memory_order_relaxed));
		if (h->base != 0 && addr - h->base < h->len)
			return true;
	}
	return false;
}

/* ------------------------------------------------------------- decoder -- */

/* ModRM register numbers (REX-extended) to ucontext's gregs indices. */
static const uint8_t dbt_greg[16] = {
	REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI, REG_RDI,
	REG_R8, REG_R9, REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15,
};

/* A decoded store. */
struct dbt_insn {
	uintptr_t ea;		/* first byte written */
	uint64_t value;		/* bytes written, zero-extended */
	unsigned int len;	/* instruction length */
	unsigned int width;	/* bytes written */
	int xchg_reg;		/* XCHG: register that receives the old value, else -1 */
	bool hi8;		/* the 8-bit register is AH, CH, DH or BH */
};

enum dbt_src { DBT_SRC_GPR, DBT_SRC_XMM, DBT_SRC_IMM };

static uint64_t
dbt_trunc(uint64_t v, unsigned int width)
{
	return width == 8 ? v : v & ((UINT64_C(1) << (width * 8)) - 1);
}

static int32_t
dbt_rd32(const uint8_t *p)
{
	int32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/*
 * Decode the store at the faulting RIP of @p uc. 0 on success, -1 when it is
 * not one of the forms this module knows (see README.md), -2 for an XMM
 * source under valgrind.
 */
static int
dbt_decode(const ucontext_t *uc, struct dbt_insn *in)
{
	const greg_t *g = uc->uc_mcontext.gregs;
	const uint8_t *p = (const uint8_t *)g[REG_RIP];
	unsigned int n = 0, rex = 0, op, map = 0, modrm, mod, reg, rm, width = 0;
	bool opsz = false, f2 = false, f3 = false, vex = false, rip_rel = false;
	bool w, xchg = false;
	enum dbt_src src = DBT_SRC_GPR;
	unsigned int imm_len = 0;
	uintptr_t ea = 0;

	for (;; n++) {
		if (n >= 14)
			return -1;
		switch (p[n]) {
		case 0x66:
			opsz = true;
			continue;
		case 0xf2:
			f2 = true;
			continue;
		case 0xf3:
			f3 = true;
			continue;
		case 0xf0:		/* LOCK (with XCHG) */
		case 0x26: case 0x2e: case 0x36: case 0x3e:	/* null in 64-bit mode */
			continue;
		}
		break;
	}
	op = p[n++];
	if ((op & 0xf0) == 0x40) {
		rex = op;
		op = p[n++];
	}
	if (op == 0xc5 || op == 0xc4) {
		/* VEX: inverted R (X, B), map, W, pp (implied 66/F3/F2). */
		unsigned int b1 = p[n++], pp;

		if (rex || opsz || f2 || f3)
			return -1;
		vex = true;
		rex = 0x40 | (!(b1 & 0x80) << 2);
		if (op == 0xc4) {
			unsigned int b2 = p[n++];

			map = b1 & 0x1f;
			rex |= (!(b1 & 0x40) << 1) | !(b1 & 0x20) | ((b2 & 0x80) >> 4);
			b1 = b2;
		} else {
			map = 1;
		}
		if (b1 & 0x04)		/* VEX.L: 256-bit */
			return -1;
		pp = b1 & 3;
		opsz = pp == 1;
		f3 = pp == 2;
		f2 = pp == 3;
		op = p[n++];
	} else if (op == 0x0f) {
		map = 1;
		op = p[n++];
	}
	w = rex & 0x08;

	if (map == 0 && !vex) {
		switch (op) {
		case 0x86:		/* XCHG r/m8, r8 */
			xchg = true;
			/* fallthrough */
		case 0x88:		/* MOV r/m8, r8 */
			width = 1;
			break;
		case 0x87:		/* XCHG r/m, r */
			xchg = true;
			/* fallthrough */
		case 0x89:		/* MOV r/m, r */
			width = w ? 8 : opsz ? 2 : 4;
			break;
		case 0xc6:		/* MOV r/m8, imm8 */
			width = 1;
			imm_len = 1;
			src = DBT_SRC_IMM;
			break;
		case 0xc7:		/* MOV r/m, imm16/imm32 */
			width = w ? 8 : opsz ? 2 : 4;
			imm_len = width == 2 ? 2 : 4;
			src = DBT_SRC_IMM;
			break;
		default:
			return -1;
		}
	} else if (map == 1) {
		src = DBT_SRC_XMM;
		if (op == 0xc3 && !vex && !opsz && !f2 && !f3) {
			width = w ? 8 : 4;	/* MOVNTI m, r */
			src = DBT_SRC_GPR;
		} else if (op == 0x7e && opsz) {
			width = w ? 8 : 4;	/* (V)MOVD/MOVQ r/m, xmm */
		} else if (op == 0xd6 && opsz) {
			width = 8;		/* (V)MOVQ xmm/m64, xmm */
		} else if (op == 0x11 && (f2 || f3)) {
			width = f2 ? 8 : 4;	/* (V)MOVSD m64 / MOVSS m32, xmm */
		} else if (op == 0x13 && !f2 && !f3) {
			width = 8;		/* (V)MOVLPS/MOVLPD m64, xmm */
		} else {
			return -1;
		}
	} else {
		return -1;
	}

	modrm = p[n++];
	mod = modrm >> 6;
	reg = ((modrm >> 3) & 7) | ((rex & 0x04) << 1);
	rm = modrm & 7;
	if (mod == 3)
		return -1;		/* a register destination never faults */
	if (src == DBT_SRC_IMM && (reg & 7) != 0)
		return -1;
	if (rm == 4) {
		unsigned int sib = p[n++];
		unsigned int idx = ((sib >> 3) & 7) | ((rex & 0x02) << 2);
		unsigned int base = (sib & 7) | ((rex & 0x01) << 3);

		if (idx != 4)
			ea += (uintptr_t)g[dbt_greg[idx]] << (sib >> 6);
		if ((sib & 7) == 5 && mod == 0) {
			ea += (intptr_t)dbt_rd32(p + n);
			n += 4;
		} else {
			ea += (uintptr_t)g[dbt_greg[base]];
		}
	} else if (rm == 5 && mod == 0) {
		rip_rel = true;
		ea = (intptr_t)dbt_rd32(p + n);
		n += 4;
	} else {
		ea = (uintptr_t)g[dbt_greg[rm | ((rex & 0x01) << 3)]];
	}
	if (mod == 1) {
		ea += (intptr_t)(int8_t)p[n];
		n += 1;
	} else if (mod == 2) {
		ea += (intptr_t)dbt_rd32(p + n);
		n += 4;
	}

	in->xchg_reg = -1;
	in->hi8 = false;
	switch (src) {
	case DBT_SRC_IMM:
		if (imm_len == 1)
			in->value = (uint8_t)p[n];
		else if (imm_len == 2)
			in->value = (uint16_t)(p[n] | p[n + 1] << 8);
		else
			in->value = (uint64_t)(int64_t)dbt_rd32(p + n);
		n += imm_len;
		break;
	case DBT_SRC_GPR:
		if (width == 1 && rex == 0 && reg >= 4) {
			in->hi8 = true;
			in->value = (uint64_t)g[dbt_greg[reg - 4]] >> 8;
		} else {
			in->value = (uint64_t)g[dbt_greg[reg]];
		}
		if (xchg)
			in->xchg_reg = in->hi8 ? (int)reg - 4 : (int)reg;
		break;
	case DBT_SRC_XMM:
		if (dbt_valgrind)
			return -2;
		if (uc->uc_mcontext.fpregs == NULL)
			return -1;
		in->value = uc->uc_mcontext.fpregs->_xmm[reg].element[0] |
			(uint64_t)uc->uc_mcontext.fpregs->_xmm[reg].element[1] << 32;
		break;
	}
	if (n > 15)
		return -1;
	if (rip_rel)
		ea += (uintptr_t)p + n;
	in->ea = ea;
	in->len = n;
	in->width = width;
	in->value = dbt_trunc(in->value, width);
	return 0;
}

/* XCHG: the register receives the old contents, which read as 0. */
static void
dbt_xchg_writeback(ucontext_t *uc, const struct dbt_insn *in)
{
	greg_t *r = &uc->uc_mcontext.gregs[dbt_greg[in->xchg_reg]];

	switch (in->width) {
	case 1:
		*r &= in->hi8 ? ~(greg_t)0xff00 : ~(greg_t)0xff;
		break;
	case 2:
		*r &= ~(greg_t)0xffff;
		break;
	default:			/* 32-bit writes zero-extend */
		*r = 0;
		break;
	}
}

/* ------------------------------------------------------ signal chaining -- */

typedef int (*dbt_sigaction_fn)(int, const struct sigaction *, struct sigaction *);
typedef sighandler_t (*dbt_signal_fn)(int, sighandler_t);

static _Atomic(dbt_sigaction_fn) dbt_real_sigaction;
static _Atomic(dbt_signal_fn) dbt_real_signal;
static _Atomic bool dbt_installed;

/* The application's SIGSEGV disposition once ours is installed (seqlock). */
static struct sigaction dbt_app;
static _Atomic uint32_t dbt_app_seq;

static dbt_sigaction_fn
dbt_libc_sigaction(void)
{
	dbt_sigaction_fn f = atomic_load_explicit(&dbt_real_sigaction, memory_order_acquire);

	if (f == NULL) {
		f = (dbt_sigaction_fn)dlsym(RTLD_NEXT, "sigaction");
		atomic_store_explicit(&dbt_real_sigaction, f, memory_order_release);
	}
	return f;
}

static void
dbt_app_read(struct sigaction *sa)
{
	uint32_t s;

	do {
		s = atomic_load_explicit(&dbt_app_seq, memory_order_acquire);
		memcpy(sa, &dbt_app, sizeof(*sa));
		atomic_thread_fence(memory_order_acquire);
	} while ((s & 1) || s != atomic_load_explicit(&dbt_app_seq, memory_order_relaxed));
}

/* Caller holds dbt_lock, or runs in the handler (SA_RESETHAND). */
static void
dbt_app_write(const struct sigaction *sa)
{
	uint32_t s = atomic_load_explicit(&dbt_app_seq, memory_order_relaxed);

	atomic_store_explicit(&dbt_app_seq, s + 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	memcpy(&dbt_app, sa, sizeof(*sa));
	atomic_store_explicit(&dbt_app_seq, s + 2, memory_order_release);
}

/* A SIGSEGV that is not a doorbell: what the kernel would have done without us. */
static void
dbt_chain(int sig, siginfo_t *si, void *uc)
{
	struct sigaction app, dfl;
	sigset_t mask;

	dbt_app_read(&app);
	if (app.sa_handler == SIG_IGN && si->si_code <= 0)
		return;			/* a sent SIGSEGV, ignored */
	if (app.sa_handler == SIG_DFL || app.sa_handler == SIG_IGN) {
		/* A fault re-executes and kills; a sent one is re-raised. */
		memset(&dfl, 0, sizeof(dfl));
		dfl.sa_handler = SIG_DFL;
		atomic_load_explicit(&dbt_real_sigaction, memory_order_relaxed)(sig, &dfl, NULL);
		if (si->si_code <= 0)
			raise(sig);
		return;
	}
	mask = app.sa_mask;
	if (!(app.sa_flags & SA_NODEFER))
		sigaddset(&mask, sig);
	if (app.sa_flags & SA_RESETHAND) {
		memset(&dfl, 0, sizeof(dfl));
		dfl.sa_handler = SIG_DFL;
		dbt_app_write(&dfl);
	}
	/* sigreturn restores the interrupted mask from uc when the handler returns. */
	sigprocmask(SIG_BLOCK, &mask, NULL);
	if (app.sa_flags & SA_SIGINFO)
		app.sa_sigaction(sig, si, uc);
	else
		app.sa_handler(sig);
}

static void
dbt_put_hex(char *buf, size_t *n, uint64_t v, unsigned int digits)
{
	while (digits-- && *n < sizeof(dbt_err) - 2)
		buf[(*n)++] = "0123456789abcdef"[(v >> (digits * 4)) & 0xf];
}

static void
dbt_put_str(char *buf, size_t *n, const char *s)
{
	while (*s && *n < sizeof(dbt_err) - 2)
		buf[(*n)++] = *s++;
}

/* Async-signal-safe one-line report of a store this module cannot decode. */
static void
dbt_report_unhandled(const ucontext_t *uc, uintptr_t addr, const char *why)
{
	const uint8_t *p = (const uint8_t *)uc->uc_mcontext.gregs[REG_RIP];
	size_t n = 0;
	ssize_t wr;
	int i;

	dbt_put_str(dbt_err, &n, "emu_dbtrap: cannot decode the store to 0x");
	dbt_put_hex(dbt_err, &n, addr, 16);
	dbt_put_str(dbt_err, &n, " at rip 0x");
	dbt_put_hex(dbt_err, &n, (uintptr_t)p, 16);
	dbt_put_str(dbt_err, &n, ", opcode bytes");
	for (i = 0; i < 4; i++) {	/* the 4 bytes that name every form we know */
		dbt_put_str(dbt_err, &n, " ");
		dbt_put_hex(dbt_err, &n, p[i], 2);
	}
	dbt_put_str(dbt_err, &n, why);
	dbt_put_str(dbt_err, &n, "; treated as an unhandled SIGSEGV");
	dbt_err[n] = '\n';
	wr = write(STDERR_FILENO, dbt_err, n + 1);
	(void)wr;			/* nothing better to do in a handler */
	dbt_err[n] = '\0';
}

static void
dbt_handler(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	uintptr_t addr = (uintptr_t)si->si_addr;
	int saved_errno = errno;
	struct dbt_insn in;
	struct dbt_hit h;
	int rc;

	if (si->si_code > 0 && dbt_lookup(addr, &h)) {
		rc = dbt_decode(uc, &in);
		if (rc == 0 && addr - in.ea < in.width &&
		    in.ea - h.base < h.len && in.ea - h.base + in.width <= h.len) {
			h.fn(h.arg, (uint32_t)(in.ea - h.base), in.value, in.width);
			atomic_fetch_add_explicit(&dbt_count, 1, memory_order_relaxed);
			if (in.xchg_reg >= 0)
				dbt_xchg_writeback(uc, &in);
			uc->uc_mcontext.gregs[REG_RIP] += in.len;
			errno = saved_errno;
			return;
		}
		dbt_report_unhandled(uc, addr, rc == -2 ?
			": valgrind's signal frames carry no XMM registers" :
			rc == 0 ? ": the decoded address is not the faulting one or leaves the mapping" :
			": not a store form this decoder knows (README.md)");
	}
	errno = saved_errno;
	dbt_chain(sig, si, ucv);
}

static _Atomic uint64_t dbt_probe_val;

static void
dbt_probe_fn(void *arg, uint32_t off, uint64_t value, unsigned int width)
{
	(void)arg; (void)off; (void)width;
	atomic_store_explicit(&dbt_probe_val, value, memory_order_relaxed);
}

static int dbt_register(uintptr_t base, size_t len, emu_dbtrap_fn fn, void *arg);
static int dbt_unregister(uintptr_t base, size_t len);

/*
 * Under valgrind, only RSP, RBP and RIP are exact at a store unless it runs
 * with --vex-iropt-register-updates=allregs-at-mem-access: one trapped store
 * of a register overwritten right after tells. 0 when values are exact.
 */
static int
dbt_valgrind_probe(void)
{
	void *p = mmap(NULL, DBT_PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int rc;

	if (p == MAP_FAILED)
		return -1;
	pthread_mutex_lock(&dbt_lock);
	rc = dbt_register((uintptr_t)p, DBT_PAGE, dbt_probe_fn, NULL);
	pthread_mutex_unlock(&dbt_lock);
	if (rc == 0) {
		asm volatile("movabs $0x5eed5eed5eed5eed, %%rax\n\t"
			     "mov %%rax, (%0)\n\t"
			     "xor %%eax, %%eax\n\t"
			     : : "r"(p) : "rax", "memory");
		pthread_mutex_lock(&dbt_lock);
		dbt_unregister((uintptr_t)p, DBT_PAGE);
		pthread_mutex_unlock(&dbt_lock);
	}
	munmap(p, DBT_PAGE);
	return atomic_load(&dbt_probe_val) == UINT64_C(0x5eed5eed5eed5eed) ? 0 : -1;
}

/*
 * Install our handler, the application's current one becoming its recorded
 * disposition. SA_NODEFER and an empty mask leave the thread's signal mask
 * unchanged, so neither delivery nor sigreturn takes the kernel's siglock.
 */
static int
dbt_install(void)
{
	dbt_sigaction_fn real = dbt_libc_sigaction();
	struct sigaction ours, prev;
	sigset_t all, old;
	int rc = 0;

	if (dbt_unusable) {
		errno = ENOTSUP;
		return -1;
	}
	if (atomic_load_explicit(&dbt_installed, memory_order_acquire))
		return 0;
	if (real == NULL) {
		dbt_set_error("emu_dbtrap: libc's sigaction not found with dlsym(RTLD_NEXT): "
			      "link dynamically against libc");
		errno = ENOSYS;
		return -1;
	}
	if (atomic_load_explicit(&dbt_real_signal, memory_order_relaxed) == NULL)
		atomic_store(&dbt_real_signal, (dbt_signal_fn)dlsym(RTLD_NEXT, "signal"));
	memset(&ours, 0, sizeof(ours));
	ours.sa_sigaction = dbt_handler;
	ours.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER | SA_RESTART;
	sigemptyset(&ours.sa_mask);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_mutex_lock(&dbt_lock);
	if (!atomic_load_explicit(&dbt_installed, memory_order_relaxed)) {
		if (real(SIGSEGV, &ours, &prev) == 0) {
			dbt_app_write(&prev);
			atomic_store_explicit(&dbt_installed, true, memory_order_release);
		} else {
			rc = -1;
			dbt_set_error("emu_dbtrap: installing the SIGSEGV handler failed");
		}
	}
	pthread_mutex_unlock(&dbt_lock);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc == 0 && DBT_ON_VALGRIND()) {
		dbt_valgrind = true;
		if (dbt_valgrind_probe() != 0) {
			dbt_set_error("emu_dbtrap: valgrind reports stale registers at a store: "
				      "run it with --vex-iropt-register-updates=allregs-at-mem-access");
			dbt_unusable = true;
			errno = ENOTSUP;
			rc = -1;
		}
	}
	return rc;
}

/*
 * sigaction() as the application sees it: for SIGSEGV once ours is installed,
 * the application's disposition is recorded and reported, never the kernel's.
 */
DBT_EXPORT int
sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	dbt_sigaction_fn real = dbt_libc_sigaction();
	struct sigaction prev;
	sigset_t all, mask;

	if (real == NULL) {
		errno = ENOSYS;
		return -1;
	}
	if (sig != SIGSEGV || !atomic_load_explicit(&dbt_installed, memory_order_acquire))
		return real(sig, act, old);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &mask);
	pthread_mutex_lock(&dbt_lock);
	dbt_app_read(&prev);
	if (act != NULL)
		dbt_app_write(act);
	pthread_mutex_unlock(&dbt_lock);
	pthread_sigmask(SIG_SETMASK, &mask, NULL);
	if (old != NULL)
		*old = prev;
	return 0;
}

/* signal() with glibc's BSD semantics, through our sigaction() for SIGSEGV. */
DBT_EXPORT sighandler_t
signal(int sig, sighandler_t handler)
{
	struct sigaction sa, old;
	dbt_signal_fn real;

	if (sig != SIGSEGV) {
		real = atomic_load_explicit(&dbt_real_signal, memory_order_acquire);
		if (real == NULL) {
			real = (dbt_signal_fn)dlsym(RTLD_NEXT, "signal");
			atomic_store_explicit(&dbt_real_signal, real, memory_order_release);
		}
		if (real == NULL) {
			errno = ENOSYS;
			return SIG_ERR;
		}
		return real(sig, handler);
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, sig);
	sa.sa_flags = SA_RESTART;
	if (sigaction(sig, &sa, &old) != 0)
		return SIG_ERR;
	return old.sa_handler;
}

/* ---------------------------------------------------------------- API --- */

static bool
dbt_overlaps(uintptr_t base, size_t len)
{
	unsigned int n = atomic_load_explicit(&dbt_nmaps, memory_order_relaxed);
	unsigned int i;

	for (i = 0; i < n; i++) {
		uintptr_t b = atomic_load_explicit(&dbt_maps[i].base, memory_order_relaxed);
		size_t l = atomic_load_explicit(&dbt_maps[i].len, memory_order_relaxed);

		if (b != 0 && base < b + l && b < base + len)
			return true;
	}
	return false;
}

static int
dbt_register(uintptr_t base, size_t len, emu_dbtrap_fn fn, void *arg)
{
	unsigned int n = atomic_load_explicit(&dbt_nmaps, memory_order_relaxed);
	unsigned int i;

	for (i = 0; i < n; i++)
		if (atomic_load_explicit(&dbt_maps[i].base, memory_order_relaxed) == 0)
			break;
	if (i == EMU_DBTRAP_MAX_MAPS)
		return -1;
	dbt_map_write(&dbt_maps[i], base, len, fn, arg);
	if (i == n)
		atomic_store_explicit(&dbt_nmaps, n + 1, memory_order_release);
	return 0;
}

/* Caller holds dbt_lock. 0 on success, -1 when no such mapping. */
static int
dbt_unregister(uintptr_t base, size_t len)
{
	unsigned int n = atomic_load_explicit(&dbt_nmaps, memory_order_relaxed);
	unsigned int i;

	for (i = 0; i < n; i++)
		if (atomic_load_explicit(&dbt_maps[i].base, memory_order_relaxed) == base &&
		    atomic_load_explicit(&dbt_maps[i].len, memory_order_relaxed) == len) {
			dbt_map_write(&dbt_maps[i], 0, 0, NULL, NULL);
			return 0;
		}
	return -1;
}

void *
emu_dbtrap_map(void *hint, size_t len, int fd, off_t off, int flags,
	       emu_dbtrap_fn fn, void *arg)
{
	void *addr;

	if (len == 0 || len % DBT_PAGE != 0 || len > UINT32_MAX || fn == NULL ||
	    (flags & MAP_TYPE) == MAP_PRIVATE || (flags & MAP_ANONYMOUS)) {
		dbt_set_error("emu_dbtrap_map: need len a non-zero multiple of 4096 (at most 4 GiB), "
			      "a callback, and a shared file mapping");
		errno = EINVAL;
		return MAP_FAILED;
	}
	if (dbt_install() != 0)
		return MAP_FAILED;
	flags = (flags & ~MAP_TYPE) | MAP_SHARED;
	pthread_mutex_lock(&dbt_lock);
	if ((flags & MAP_FIXED) && dbt_overlaps((uintptr_t)hint, len)) {
		pthread_mutex_unlock(&dbt_lock);
		dbt_set_error("emu_dbtrap_map: MAP_FIXED over a registered mapping: unmap it first");
		errno = EBUSY;
		return MAP_FAILED;
	}
	addr = mmap(hint, len, PROT_READ, flags, fd, off);
	if (addr == MAP_FAILED) {
		int e = errno;

		snprintf(dbt_err, sizeof(dbt_err), "emu_dbtrap_map: mmap failed: %s", strerror(e));
		pthread_mutex_unlock(&dbt_lock);
		errno = e;
		return MAP_FAILED;
	}
	if (dbt_register((uintptr_t)addr, len, fn, arg) != 0) {
		munmap(addr, len);
		pthread_mutex_unlock(&dbt_lock);
		dbt_set_error("emu_dbtrap_map: all EMU_DBTRAP_MAX_MAPS mappings in use: unmap one first");
		errno = ENOSPC;
		return MAP_FAILED;
	}
	pthread_mutex_unlock(&dbt_lock);
	return addr;
}

int
emu_dbtrap_unmap(void *addr, size_t len)
{
	int rc;

	pthread_mutex_lock(&dbt_lock);
	if (addr == NULL || dbt_unregister((uintptr_t)addr, len) != 0) {
		pthread_mutex_unlock(&dbt_lock);
		dbt_set_error("emu_dbtrap_unmap: not a registered mapping (address and length "
			      "must be those emu_dbtrap_map returned and was given)");
		errno = EINVAL;
		return -1;
	}
	rc = munmap(addr, len);
	pthread_mutex_unlock(&dbt_lock);
	return rc;
}

bool
emu_dbtrap_owns(const void *addr)
{
	struct dbt_hit h;

	return dbt_lookup((uintptr_t)addr, &h);
}

uint64_t
emu_dbtrap_count(void)
{
	return atomic_load_explicit(&dbt_count, memory_order_relaxed);
}

#else /* !__x86_64__ */

/*
 * No decoder for this architecture. arm64 needs its own: STR/STUR (immediate,
 * register, pre/post-index), STP, STLR and the SIMD&FP STR forms, with ESR's
 * ISV syndrome as a shortcut when the kernel reports it.
 */
void *
emu_dbtrap_map(void *hint, size_t len, int fd, off_t off, int flags,
	       emu_dbtrap_fn fn, void *arg)
{
	(void)hint; (void)len; (void)fd; (void)off; (void)flags; (void)fn; (void)arg;
	dbt_set_error("emu_dbtrap_map: no store decoder for this architecture (x86-64 only)");
	errno = ENOTSUP;
	return MAP_FAILED;
}

int
emu_dbtrap_unmap(void *addr, size_t len)
{
	(void)addr; (void)len;
	errno = EINVAL;
	return -1;
}

bool
emu_dbtrap_owns(const void *addr)
{
	(void)addr;
	return false;
}

uint64_t
emu_dbtrap_count(void)
{
	return 0;
}

#endif /* __x86_64__ */
