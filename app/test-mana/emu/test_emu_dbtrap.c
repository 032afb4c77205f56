/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The dpdk-mana authors
 *
 * Doorbell-trap tests: every decoded store form from exact instruction
 * bytes, threads sharing one page, and SIGSEGV chaining to the application.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "emu_dbtrap.h"
#include "mtest.h"

#define PG		4096u
#define MAX_REC		64
#define LOW_ADDR	0x10000000ul	/* reachable by a sign-extended disp32 */

struct rec {
	uint32_t off;
	uint64_t val;
	unsigned int width;
};

static struct rec recs[MAX_REC];
static _Atomic unsigned int nrec;
static int memfd = -1;
static const char *self_path;
static uint8_t *page;

/* Page-aligned in .bss so RIP-relative stores reach it; mapped over by a trap. */
uint8_t dbt_test_rip_page[PG] __attribute__((aligned(PG)));

static void
record(void *arg, uint32_t off, uint64_t val, unsigned int width)
{
	unsigned int i = atomic_fetch_add(&nrec, 1);

	(void)arg;
	if (i < MAX_REC)
		recs[i] = (struct rec){ off, val, width };
}

static int
setup(void)
{
	if (page != NULL)
		return 0;
	memfd = memfd_create("dbtrap-test", 0);
	if (memfd < 0 || ftruncate(memfd, 4 * PG) != 0)
		return -1;
	page = emu_dbtrap_map(NULL, PG, memfd, 0, MAP_SHARED, record, NULL);
	if (page == MAP_FAILED) {
		fprintf(stderr, "  %s\n", emu_dbtrap_last_error());
		page = NULL;
		return -1;
	}
	return 0;
}

/*
 * The callback runs behind the compiler's back: a barrier keeps the stores
 * under test between reset() and the checks, as MMIO code has its barriers.
 */
#define BARRIER() asm volatile("" : : : "memory")

static void
reset(void)
{
	atomic_store(&nrec, 0);
	memset(recs, 0, sizeof(recs));
	BARRIER();
}

#define EXPECT(i, o, v, w) do { \
	BARRIER(); \
	MTEST_ASSERT((i) < atomic_load(&nrec), "store %u not delivered (%u were)", \
		     (unsigned int)(i), atomic_load(&nrec)); \
	MTEST_ASSERT_EQ(recs[i].off, (o)); \
	MTEST_ASSERT_EQ(recs[i].val, (v)); \
	MTEST_ASSERT_EQ(recs[i].width, (w)); \
} while (0)

#define EXPECT_N(n) do { BARRIER(); MTEST_ASSERT_EQ(atomic_load(&nrec), (n)); } while (0)

/* "mov %src, disp(%base)" for 64-bit GPRs, base and source loaded first. */
#define ST_BASE_SRC(base, src, disp, v) \
	asm volatile("mov %0, %%" base "\n\tmov %1, %%" src "\n\t" \
		     "mov %%" src ", " #disp "(%%" base ")" \
		     : : "r"(page), "r"((uint64_t)(v)) : base, src, "memory")

static int
test_mov64_every_register(void)
{
	unsigned int k;

	MTEST_ASSERT_EQ(setup(), 0);
	reset();
	/* Each register as source (base rdi, or rsi when rdi is the source). */
	ST_BASE_SRC("rdi", "rax", 0x00, 0x1111111111111100);
	ST_BASE_SRC("rdi", "rbx", 0x08, 0x1111111111111101);
	ST_BASE_SRC("rdi", "rcx", 0x10, 0x1111111111111102);
	ST_BASE_SRC("rdi", "rdx", 0x18, 0x1111111111111103);
	ST_BASE_SRC("rdi", "rsi", 0x20, 0x1111111111111104);
	ST_BASE_SRC("rsi", "rdi", 0x28, 0x1111111111111105);
	ST_BASE_SRC("rdi", "r8", 0x30, 0x1111111111111106);
	ST_BASE_SRC("rdi", "r9", 0x38, 0x1111111111111107);
	ST_BASE_SRC("rdi", "r10", 0x40, 0x1111111111111108);
	ST_BASE_SRC("rdi", "r11", 0x48, 0x1111111111111109);
	ST_BASE_SRC("rdi", "r12", 0x50, 0x111111111111110a);
	ST_BASE_SRC("rdi", "r13", 0x58, 0x111111111111110b);
	ST_BASE_SRC("rdi", "r14", 0x60, 0x111111111111110c);
	ST_BASE_SRC("rdi", "r15", 0x68, 0x111111111111110d);
	/* Each register as base (r12 needs a SIB byte, r13 a displacement). */
	ST_BASE_SRC("rax", "rdx", 0x100, 0x2222222222222200);
	ST_BASE_SRC("rbx", "rdx", 0x108, 0x2222222222222201);
	ST_BASE_SRC("rcx", "rdx", 0x110, 0x2222222222222202);
	ST_BASE_SRC("rdx", "rax", 0x118, 0x2222222222222203);
	ST_BASE_SRC("rsi", "rdx", 0x120, 0x2222222222222204);
	ST_BASE_SRC("rdi", "rdx", 0x128, 0x2222222222222205);
	ST_BASE_SRC("r8", "rdx", 0x130, 0x2222222222222206);
	ST_BASE_SRC("r9", "rdx", 0x138, 0x2222222222222207);
	ST_BASE_SRC("r10", "rdx", 0x140, 0x2222222222222208);
	ST_BASE_SRC("r11", "rdx", 0x148, 0x2222222222222209);
	ST_BASE_SRC("r12", "rdx", 0x150, 0x222222222222220a);
	ST_BASE_SRC("r13", "rdx", 0x158, 0x222222222222220b);
	ST_BASE_SRC("r14", "rdx", 0x160, 0x222222222222220c);
	ST_BASE_SRC("r15", "r8", 0x168, 0x222222222222220d);
	/* Zero displacement (mod 00), r13 base forced to disp8 0, disp32. */
	ST_BASE_SRC("r11", "r9", , 0x3333333333333300);
	ST_BASE_SRC("r13", "r9", 0, 0x3333333333333301);
	ST_BASE_SRC("r12", "r9", , 0x3333333333333302);
	ST_BASE_SRC("r14", "r9", 0xff8, 0x3333333333333303);
	for (k = 0; k < 14; k++)
		EXPECT(k, 0x08 * k, 0x1111111111111100 + k, 8);
	for (k = 0; k < 14; k++)
		EXPECT(14 + k, 0x100 + 0x08 * k, 0x2222222222222200 + k, 8);
	EXPECT(28, 0, 0x3333333333333300, 8);
	EXPECT(29, 0, 0x3333333333333301, 8);
	EXPECT(30, 0, 0x3333333333333302, 8);
	EXPECT(31, 0xff8, 0x3333333333333303, 8);
	EXPECT_N(32);
	return MTEST_SUCCESS;
}

/* Exact bytes: 32, 16 and 8-bit MOV r/m, r incl. REX.R/REX.B and AH. */
static int
test_mov_narrow(void)
{
	MTEST_ASSERT_EQ(setup(), 0);
	reset();
	asm volatile(
		"mov %0, %%rdi\n\t"
		"movabs $0xaaaaaaaa87654321, %%rax\n\t"
		"movabs $0xbbbbbbbb0badf00d, %%r10\n\t"
		".byte 0x89, 0x47, 0x10\n\t"		/* mov %eax, 0x10(%rdi) */
		".byte 0x44, 0x89, 0x97, 0x10, 0x04, 0, 0\n\t" /* mov %r10d, 0x410(%rdi) disp32 */
		".byte 0x66, 0x89, 0x47, 0x20\n\t"	/* mov %ax, 0x20(%rdi) */
		".byte 0x88, 0x67, 0x22\n\t"		/* mov %ah, 0x22(%rdi) */
		".byte 0x40, 0x88, 0x47, 0x23\n\t"	/* mov %al, 0x23(%rdi) (REX) */
		"mov %%rdi, %%r9\n\t"
		".byte 0x45, 0x88, 0x51, 0x24\n\t"	/* mov %r10b, 0x24(%r9) */
		".byte 0x66, 0x45, 0x89, 0x51, 0x26\n\t" /* mov %r10w, 0x26(%r9) */
		"movl $0x55667788, %%esi\n\t"
		".byte 0x40, 0x88, 0x77, 0x28\n\t"	/* mov %sil, 0x28(%rdi) */
		".byte 0x88, 0x77, 0x29\n\t"		/* mov %dh, 0x29(%rdi): rdx */
		: : "r"(page), "d"(0x1234ul) : "rax", "rdi", "rsi", "r9", "r10", "memory");
	EXPECT(0, 0x10, 0x87654321, 4);
	EXPECT(1, 0x410, 0x0badf00d, 4);
	EXPECT(2, 0x20, 0x4321, 2);
	EXPECT(3, 0x22, 0x43, 1);
	EXPECT(4, 0x23, 0x21, 1);
	EXPECT(5, 0x24, 0x0d, 1);
	EXPECT(6, 0x26, 0xf00d, 2);
	EXPECT(7, 0x28, 0x88, 1);
	EXPECT(8, 0x29, 0x12, 1);
	EXPECT_N(9);
	return MTEST_SUCCESS;
}

/* SIB: every scale, index r8-r15 (REX.X, r12 included), base r13 mod 00. */
static int
test_sib_index_scale(void)
{
	MTEST_ASSERT_EQ(setup(), 0);
	reset();
	asm volatile(
		"mov %0, %%rdi\n\tmov %0, %%r13\n\t"
		"mov $2, %%rcx\n\tmov $3, %%r8\n\tmov $4, %%r12\n\tmov $5, %%r15\n\t"
		"movabs $0x0102030405060708, %%rax\n\t"
		"mov %%rax, 0x800(%%rdi,%%rcx,1)\n\t"	/* 0x802 */
		"mov %%rax, 0x800(%%rdi,%%r8,2)\n\t"	/* 0x806 */
		"mov %%rax, 0x800(%%rdi,%%r12,4)\n\t"	/* 0x810 */
		"mov %%rax, 0x800(%%rdi,%%r15,8)\n\t"	/* 0x828 */
		".byte 0x4b, 0x89, 0x44, 0x05, 0x00\n\t" /* mov %rax, 0(%r13,%r8,1) */
		"mov %%eax, -8(%%r13,%%r12,8)\n\t"	/* 0x18 */
		: : "r"(page) : "rax", "rcx", "rdi", "r8", "r12", "r13", "r15", "memory");
	EXPECT(0, 0x802, 0x0102030405060708, 8);
	EXPECT(1, 0x806, 0x0102030405060708, 8);
	EXPECT(2, 0x810, 0x0102030405060708, 8);
	EXPECT(3, 0x828, 0x0102030405060708, 8);
	EXPECT(4, 0x003, 0x0102030405060708, 8);
	EXPECT(5, 0x018, 0x05060708, 4);
	EXPECT_N(6);
	return MTEST_SUCCESS;
}

/* A page at a low fixed address: SIB without base, absolute disp32. */
static int
test_absolute_and_fixed(void)
{
	uint8_t *low;

	MTEST_ASSERT_EQ(setup(), 0);
	low = emu_dbtrap_map((void *)LOW_ADDR, PG, memfd, PG, MAP_SHARED | MAP_FIXED_NOREPLACE,
			     record, NULL);
	if (low == MAP_FAILED && errno == EEXIST)
		return MTEST_SKIPPED;
	MTEST_ASSERT(low == (uint8_t *)LOW_ADDR, "%s", emu_dbtrap_last_error());
	MTEST_ASSERT(emu_dbtrap_owns(low + 0xfff) && !emu_dbtrap_owns(low + PG), "owns");
	reset();
	asm volatile(
		"mov $3, %%rcx\n\tmovabs $0x7766554433221100, %%rax\n\t"
		"mov %%rax, 0x10000040(,%%rcx,4)\n\t"	/* 0x4c */
		"mov %%rax, 0x10000400\n\t"		/* ModRM 04, SIB 25 */
		"movl $0xcafe, 0x10000800\n\t"
		: : : "rax", "rcx", "memory");
	EXPECT(0, 0x4c, 0x7766554433221100, 8);
	EXPECT(1, 0x400, 0x7766554433221100, 8);
	EXPECT(2, 0x800, 0xcafe, 4);
	EXPECT_N(3);
	MTEST_ASSERT_EQ(emu_dbtrap_unmap(low, PG), 0);
	return MTEST_SUCCESS;
}

static bool
have_avx(void)
{
	__builtin_cpu_init();
	return __builtin_cpu_supports("avx");
}

/* RIP-relative, also with an immediate after the displacement. */
static int
test_rip_relative(void)
{
	void *p;

	MTEST_ASSERT_EQ(setup(), 0);
	p = emu_dbtrap_map(dbt_test_rip_page, PG, memfd, 2 * PG, MAP_SHARED | MAP_FIXED,
			   record, NULL);
	MTEST_ASSERT(p == dbt_test_rip_page, "%s", emu_dbtrap_last_error());
	reset();
	asm volatile(
		"movabs $0x0123456789abcdef, %%rax\n\t"
		"mov %%rax, dbt_test_rip_page+0x400(%%rip)\n\t"
		"movl $0x11223344, dbt_test_rip_page+0x10(%%rip)\n\t"
		"movw $0x5566, dbt_test_rip_page+0x12(%%rip)\n\t"
		"movb $0x77, dbt_test_rip_page+0x14(%%rip)\n\t"
		"movq $-2, dbt_test_rip_page+0x808(%%rip)\n\t"
		: : : "rax", "memory");
	EXPECT(0, 0x400, 0x0123456789abcdef, 8);
	EXPECT(1, 0x10, 0x11223344, 4);
	EXPECT(2, 0x12, 0x5566, 2);
	EXPECT(3, 0x14, 0x77, 1);
	EXPECT(4, 0x808, 0xfffffffffffffffe, 8);
	EXPECT_N(5);
	MTEST_ASSERT_EQ(emu_dbtrap_unmap(p, PG), 0);
	return MTEST_SUCCESS;
}

/* RIP-relative XMM stores, legacy and VEX. */
static int
test_rip_relative_xmm(void)
{
	void *p;

	MTEST_ASSERT_EQ(setup(), 0);
	p = emu_dbtrap_map(dbt_test_rip_page, PG, memfd, 2 * PG, MAP_SHARED | MAP_FIXED,
			   record, NULL);
	MTEST_ASSERT(p == dbt_test_rip_page, "%s", emu_dbtrap_last_error());
	reset();
	asm volatile(
		"movabs $0x0123456789abcdef, %%rax\n\t"
		"movq %%rax, %%xmm7\n\t"
		"movq %%xmm7, dbt_test_rip_page+0x820(%%rip)\n\t"
		"movd %%xmm7, dbt_test_rip_page+0x828(%%rip)\n\t"
		: : : "rax", "xmm7", "memory");
	EXPECT(0, 0x820, 0x0123456789abcdef, 8);
	EXPECT(1, 0x828, 0x89abcdef, 4);
	if (have_avx()) {
		asm volatile("vmovq %%xmm7, dbt_test_rip_page+0xff8(%%rip)" : : : "memory");
		EXPECT(2, 0xff8, 0x0123456789abcdef, 8);
	}
	MTEST_ASSERT_EQ(emu_dbtrap_unmap(p, PG), 0);
	return MTEST_SUCCESS;
}

/* MOV r/m, imm: imm8, imm16 (66), imm32, sign-extended imm32 (REX.W). */
static int
test_mov_imm(void)
{
	MTEST_ASSERT_EQ(setup(), 0);
	reset();
	asm volatile(
		"mov %0, %%r14\n\t"
		"movq $-5, 0x800(%%r14)\n\t"		/* REX.W C7, disp32 */
		"movq $0x7fffffff, 0x8(%%r14)\n\t"
		"movl $0x89abcdef, 0x810(%%r14)\n\t"
		"movw $0x1234, 0x14(%%r14)\n\t"		/* 66 C7 imm16 */
		"movb $0xa5, 0x16(%%r14)\n\t"		/* C6 imm8 */
		"movl $1, (%%r14)\n\t"
		: : "r"(page) : "r14", "memory");
	EXPECT(0, 0x800, 0xfffffffffffffffb, 8);
	EXPECT(1, 0x8, 0x7fffffff, 8);
	EXPECT(2, 0x810, 0x89abcdef, 4);
	EXPECT(3, 0x14, 0x1234, 2);
	EXPECT(4, 0x16, 0xa5, 1);
	EXPECT(5, 0x0, 1, 4);
	EXPECT_N(6);
	return MTEST_SUCCESS;
}

/* MOVNTI and XCHG (which reads 0 back into its register). */
static int
test_movnti_xchg(void)
{
	uint64_t a, b, c, d;

	MTEST_ASSERT_EQ(setup(), 0);
	reset();
	asm volatile(
		"mov %4, %%rdi\n\t"
		"movabs $0x1020304050607080, %%r11\n\t"
		"movnti %%r11, 0x400(%%rdi)\n\t"
		"movnti %%r11d, 0x408(%%rdi)\n\t"
		"movabs $0xfedcba9876543210, %0\n\t"
		"xchg %0, 0x800(%%rdi)\n\t"
		"movabs $0xfedcba9876543210, %1\n\t"
		"lock xchg %k1, 0x810(%%rdi)\n\t"
		"movabs $0xfedcba9876543210, %2\n\t"
		"xchg %w2, 0x814(%%rdi)\n\t"
		"movabs $0xfedcba9876543210, %3\n\t"
		"xchg %h3, 0x816(%%rdi)\n\t"
		: "=&r"(a), "=&r"(b), "=&r"(c), "=&Q"(d) : "r"(page) : "rdi", "r11", "memory");
	EXPECT(0, 0x400, 0x1020304050607080, 8);
	EXPECT(1, 0x408, 0x50607080, 4);
	EXPECT(2, 0x800, 0xfedcba9876543210, 8);
	EXPECT(3, 0x810, 0x76543210, 4);
	EXPECT(4, 0x814, 0x3210, 2);
	EXPECT(5, 0x816, 0x32, 1);
	EXPECT_N(6);
	MTEST_ASSERT_EQ(a, 0);
	MTEST_ASSERT_EQ(b, 0);			/* 32-bit: zero-extended */
	MTEST_ASSERT_EQ(c, 0xfedcba9876540000);
	MTEST_ASSERT_EQ(d, 0xfedcba9876540010);
	return MTEST_SUCCESS;
}

/* SSE stores from XMM: MOVQ (D6 and REX.W 7E), MOVD, MOVSD, MOVSS, MOVLPS/PD. */
static int
test_xmm_stores(void)
{
	MTEST_ASSERT_EQ(setup(), 0);
	reset();
	asm volatile(
		"mov %0, %%rdi\n\tmov %0, %%r9\n\t"
		"movabs $0x8877665544332211, %%rax\n\tmovq %%rax, %%xmm3\n\t"
		"movabs $0x99aabbccddeeff00, %%rax\n\tmovq %%rax, %%xmm9\n\t"
		"movabs $0x0f0e0d0c0b0a0908, %%rax\n\tmovq %%rax, %%xmm15\n\t"
		"movq %%xmm3, 0x08(%%rdi)\n\t"			/* 66 0F D6 */
		"movq %%xmm9, 0x10(%%r9)\n\t"			/* 66 45 0F D6 */
		".byte 0x66, 0x48, 0x0f, 0x7e, 0x5f, 0x18\n\t"	/* movq %xmm3, 0x18(%rdi) */
		".byte 0x66, 0x4d, 0x0f, 0x7e, 0x79, 0x20\n\t"	/* movq %xmm15, 0x20(%r9) */
		"movd %%xmm9, 0x28(%%rdi)\n\t"			/* 66 44 0F 7E */
		"movsd %%xmm3, 0x30(%%rdi)\n\t"			/* F2 0F 11 */
		"movss %%xmm15, 0x38(%%r9)\n\t"			/* F3 45 0F 11 */
		"movlps %%xmm9, 0x40(%%rdi)\n\t"		/* 44 0F 13 */
		"movlpd %%xmm3, 0x48(%%rdi)\n\t"		/* 66 0F 13 */
		: : "r"(page) : "rax", "rdi", "r9", "xmm3", "xmm9", "xmm15", "memory");
	EXPECT(0, 0x08, 0x8877665544332211, 8);
	EXPECT(1, 0x10, 0x99aabbccddeeff00, 8);
	EXPECT(2, 0x18, 0x8877665544332211, 8);
	EXPECT(3, 0x20, 0x0f0e0d0c0b0a0908, 8);
	EXPECT(4, 0x28, 0xddeeff00, 4);
	EXPECT(5, 0x30, 0x8877665544332211, 8);
	EXPECT(6, 0x38, 0x0b0a0908, 4);
	EXPECT(7, 0x40, 0x99aabbccddeeff00, 8);
	EXPECT(8, 0x48, 0x8877665544332211, 8);
	EXPECT_N(9);
	return MTEST_SUCCESS;
}

/* VEX forms: two-byte C5 and three-byte C4 (REX.B/X/W equivalents). */
static int
test_vex_stores(void)
{
	if (!have_avx())
		return MTEST_SKIPPED;
	MTEST_ASSERT_EQ(setup(), 0);
	reset();
	asm volatile(
		"mov %0, %%rdi\n\tmov %0, %%r9\n\tmov $1, %%r10\n\t"
		"movabs $0x1122334455667788, %%rax\n\tvmovq %%rax, %%xmm1\n\t"
		"movabs $0xa1a2a3a4a5a6a7a8, %%rax\n\tvmovq %%rax, %%xmm12\n\t"
		"vmovq %%xmm1, 0x08(%%rdi)\n\t"			/* C5 F9 D6 */
		".byte 0xc4, 0xe1, 0x79, 0xd6, 0x4f, 0x10\n\t"	/* vmovq %xmm1, 0x10(%rdi), VEX3 */
		"vmovq %%xmm12, 0x18(%%r9)\n\t"			/* C4 41 79 D6 */
		"vmovd %%xmm12, 0x20(%%rdi)\n\t"		/* C5 79 7E */
		".byte 0xc4, 0xe1, 0xf9, 0x7e, 0x4f, 0x28\n\t"	/* vmovq %xmm1, 0x28(%rdi) W1 */
		"vmovq %%xmm12, 0x30(%%rdi,%%r10,8)\n\t"	/* C4 21 79 D6, SIB REX.X */
		"vmovsd %%xmm12, 0x40(%%rdi)\n\t"		/* C5 7B 11 */
		"vmovss %%xmm1, 0x48(%%rdi)\n\t"		/* C5 FA 11 */
		: : "r"(page) : "rax", "rdi", "r9", "r10", "xmm1", "xmm12", "memory");
	EXPECT(0, 0x08, 0x1122334455667788, 8);
	EXPECT(1, 0x10, 0x1122334455667788, 8);
	EXPECT(2, 0x18, 0xa1a2a3a4a5a6a7a8, 8);
	EXPECT(3, 0x20, 0xa5a6a7a8, 4);
	EXPECT(4, 0x28, 0x1122334455667788, 8);
	EXPECT(5, 0x38, 0xa1a2a3a4a5a6a7a8, 8);
	EXPECT(6, 0x40, 0xa1a2a3a4a5a6a7a8, 8);
	EXPECT(7, 0x48, 0x55667788, 4);
	EXPECT_N(8);
	return MTEST_SUCCESS;
}

/* What the compiler emits for volatile and atomic stores, and RSP as base. */
static int
test_compiled_stores(void)
{
	static uint8_t altstack[64 * 1024];
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof(altstack) }, old_ss;
	volatile uint64_t *db64;
	volatile uint32_t *db32;

	MTEST_ASSERT_EQ(setup(), 0);
	db64 = (volatile uint64_t *)(page + 0x800);
	db32 = (volatile uint32_t *)(page + 0x810);
	reset();
	*db64 = 0xdeadbeefcafef00d;
	*db32 = 0x12345678;
	atomic_store_explicit((_Atomic uint64_t *)(page + 0x400), 42, memory_order_seq_cst);
	atomic_store_explicit((_Atomic uint64_t *)(page + 0x408), 43, memory_order_release);
	atomic_exchange((_Atomic uint64_t *)(page + 0x410), 44);
	/* RSP pointing into the page: the handler must run on the alternate stack. */
	MTEST_ASSERT_EQ(sigaltstack(&ss, &old_ss), 0);
	asm volatile(
		"mov %%rsp, %%r11\n\t"
		"lea 0x100(%0), %%rsp\n\t"
		"mov %1, 0x18(%%rsp)\n\t"			/* SIB, base RSP */
		"mov %%r11, %%rsp\n\t"
		: : "r"(page), "r"(0x5151515151515151ul) : "r11", "memory");
	MTEST_ASSERT_EQ(sigaltstack(&old_ss, NULL), 0);
	EXPECT(0, 0x800, 0xdeadbeefcafef00d, 8);
	EXPECT(1, 0x810, 0x12345678, 4);
	EXPECT(2, 0x400, 42, 8);
	EXPECT(3, 0x408, 43, 8);
	EXPECT(4, 0x410, 44, 8);
	EXPECT(5, 0x118, 0x5151515151515151, 8);
	EXPECT_N(6);
	return MTEST_SUCCESS;
}

/* ---------------------------------------------------------------- threads */

#define N_THREADS	8
#define N_STORES	20000u

static _Atomic uint32_t thr_seen[N_THREADS];
static _Atomic uint32_t thr_bad;

static void
thr_record(void *arg, uint32_t off, uint64_t val, unsigned int width)
{
	unsigned int t = val >> 32;
	uint32_t seq = (uint32_t)val;

	(void)arg;
	if (t >= N_THREADS || width != 8 || off != (seq % 3) * 0x400u ||
	    atomic_load_explicit(&thr_seen[t], memory_order_relaxed) != seq) {
		atomic_fetch_add(&thr_bad, 1);
		return;
	}
	atomic_store_explicit(&thr_seen[t], seq + 1, memory_order_relaxed);
}

static void *
thr_main(void *arg)
{
	uintptr_t t = (uintptr_t)((void **)arg)[0];
	volatile uint8_t *p = ((void **)arg)[1];
	uint32_t i;

	for (i = 0; i < N_STORES; i++)
		*(volatile uint64_t *)(p + (i % 3) * 0x400) = (uint64_t)t << 32 | i;
	return NULL;
}

/* 8 threads on one page (SQ, RQ, CQ slots): each store once, in per-thread order. */
static int
test_threads_every_store_in_order(void)
{
	pthread_t th[N_THREADS];
	void *args[N_THREADS][2];
	uint64_t before;
	uint8_t *p;
	uintptr_t t;

	MTEST_ASSERT_EQ(setup(), 0);
	p = emu_dbtrap_map(NULL, PG, memfd, 3 * PG, MAP_SHARED, thr_record, NULL);
	MTEST_ASSERT(p != MAP_FAILED, "%s", emu_dbtrap_last_error());
	before = emu_dbtrap_count();
	for (t = 0; t < N_THREADS; t++) {
		args[t][0] = (void *)t;
		args[t][1] = p;
		MTEST_ASSERT_EQ(pthread_create(&th[t], NULL, thr_main, args[t]), 0);
	}
	for (t = 0; t < N_THREADS; t++)
		pthread_join(th[t], NULL);
	MTEST_ASSERT_EQ(atomic_load(&thr_bad), 0);
	for (t = 0; t < N_THREADS; t++)
		MTEST_ASSERT_EQ(atomic_load(&thr_seen[t]), N_STORES);
	MTEST_ASSERT_EQ(emu_dbtrap_count() - before, N_THREADS * N_STORES);
	MTEST_ASSERT_EQ(emu_dbtrap_unmap(p, PG), 0);
	return MTEST_SUCCESS;
}

/* --------------------------------------------------------------- chaining */

static sigjmp_buf app_jmp;
static void *app_addr;
static int app_code, app_calls;

static void
app_segv(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	app_calls++;
	app_addr = si->si_addr;
	app_code = si->si_code;
	if (sig == SIGSEGV)
		siglongjmp(app_jmp, 1);
}

static void
app_segv_plain(int sig)
{
	app_calls++;
	if (sig == SIGSEGV)
		siglongjmp(app_jmp, 1);
}

static int
install_app(int flags)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = app_segv;
	sa.sa_flags = SA_SIGINFO | flags;
	sigemptyset(&sa.sa_mask);
	return sigaction(SIGSEGV, &sa, NULL);
}

/* A write that faults outside the mappings, caught by the application. */
static int
fault_at(volatile uint8_t *where)
{
	app_calls = 0;
	app_addr = NULL;
	if (sigsetjmp(app_jmp, 1) == 0) {
		*(volatile uint64_t *)where = 1;
		return -1;
	}
	return 0;
}

static int
test_chain_to_app_siginfo(void)
{
	struct sigaction cur;
	uint8_t *ro;

	MTEST_ASSERT_EQ(setup(), 0);
	MTEST_ASSERT_EQ(install_app(0), 0);
	ro = mmap(NULL, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	MTEST_ASSERT(ro != MAP_FAILED, "mmap");
	MTEST_ASSERT_EQ(fault_at(ro + 0x18), 0);
	MTEST_ASSERT_EQ(app_calls, 1);
	MTEST_ASSERT(app_addr == ro + 0x18, "si_addr %p, expected %p", app_addr, (void *)(ro + 0x18));
	MTEST_ASSERT_EQ(app_code, SEGV_ACCERR);
	/* The handler ran with SIGSEGV blocked, and siglongjmp restored the mask. */
	MTEST_ASSERT_EQ(sigprocmask(SIG_BLOCK, NULL, &cur.sa_mask), 0);
	MTEST_ASSERT(!sigismember(&cur.sa_mask, SIGSEGV), "SIGSEGV left blocked");
	/* Doorbells still go to the device with the application's handler in place. */
	reset();
	*(volatile uint64_t *)(page + 8) = 99;
	EXPECT(0, 8, 99, 8);
	munmap(ro, PG);
	return MTEST_SUCCESS;
}

static int
test_chain_plain_handler_and_resethand(void)
{
	struct sigaction sa, cur;
	uint8_t *ro;

	MTEST_ASSERT_EQ(setup(), 0);
	ro = mmap(NULL, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	MTEST_ASSERT(ro != MAP_FAILED, "mmap");
	MTEST_ASSERT(signal(SIGSEGV, app_segv_plain) != SIG_ERR, "signal");
	MTEST_ASSERT_EQ(fault_at(ro), 0);
	MTEST_ASSERT_EQ(app_calls, 1);
	MTEST_ASSERT(signal(SIGSEGV, SIG_DFL) == app_segv_plain, "signal() returns the old handler");
	MTEST_ASSERT_EQ(install_app(SA_RESETHAND), 0);
	MTEST_ASSERT_EQ(fault_at(ro + 8), 0);
	MTEST_ASSERT_EQ(app_calls, 1);
	MTEST_ASSERT_EQ(sigaction(SIGSEGV, NULL, &cur), 0);
	MTEST_ASSERT(cur.sa_handler == SIG_DFL, "SA_RESETHAND reset the application's handler");
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	MTEST_ASSERT_EQ(sigaction(SIGSEGV, &sa, NULL), 0);
	munmap(ro, PG);
	return MTEST_SUCCESS;
}

/* sigaction(SIGSEGV, NULL, &old) reports the application's, the kernel keeps ours. */
static int
test_sigaction_hides_ours(void)
{
	struct { void *handler; unsigned long flags; void *restorer; uint64_t mask; } k;
	struct sigaction cur;

	MTEST_ASSERT_EQ(setup(), 0);
	MTEST_ASSERT_EQ(install_app(SA_NODEFER), 0);
	MTEST_ASSERT_EQ(sigaction(SIGSEGV, NULL, &cur), 0);
	MTEST_ASSERT(cur.sa_sigaction == app_segv, "reported handler is not the application's");
	MTEST_ASSERT(cur.sa_flags & SA_NODEFER, "flags 0x%x", cur.sa_flags);
	MTEST_ASSERT_EQ(syscall(SYS_rt_sigaction, SIGSEGV, NULL, &k, 8), 0);
	MTEST_ASSERT(k.handler != NULL && k.handler != (void *)app_segv, "kernel handler %p", k.handler);
	MTEST_ASSERT(k.flags & SA_SIGINFO, "kernel flags 0x%lx", k.flags);
	/* Other signals pass straight through. */
	MTEST_ASSERT(signal(SIGUSR1, SIG_IGN) == SIG_DFL, "SIGUSR1");
	MTEST_ASSERT_EQ(syscall(SYS_rt_sigaction, SIGUSR1, NULL, &k, 8), 0);
	MTEST_ASSERT(k.handler == (void *)SIG_IGN, "SIGUSR1 not passed through");
	signal(SIGUSR1, SIG_DFL);
	cur.sa_handler = SIG_DFL;
	cur.sa_flags = 0;
	MTEST_ASSERT_EQ(sigaction(SIGSEGV, &cur, NULL), 0);
	return MTEST_SUCCESS;
}

/* After unmap, a write faults as usual (to the application), not to the device. */
static int
test_unmap_then_fault(void)
{
	uint8_t *p;

	MTEST_ASSERT_EQ(setup(), 0);
	p = emu_dbtrap_map(NULL, 2 * PG, memfd, 0, MAP_SHARED, record, NULL);
	MTEST_ASSERT(p != MAP_FAILED, "%s", emu_dbtrap_last_error());
	reset();
	*(volatile uint32_t *)(p + PG + 4) = 7;
	EXPECT(0, PG + 4, 7, 4);
	MTEST_ASSERT_EQ(emu_dbtrap_unmap(p, PG), -1);		/* not the whole mapping */
	MTEST_ASSERT_EQ(errno, EINVAL);
	MTEST_ASSERT_EQ(emu_dbtrap_unmap(p, 2 * PG), 0);
	MTEST_ASSERT(!emu_dbtrap_owns(p), "still owned");
	MTEST_ASSERT_EQ(install_app(0), 0);
	MTEST_ASSERT_EQ(fault_at(p + 16), 0);
	MTEST_ASSERT(app_addr == p + 16 && app_code == SEGV_MAPERR, "si_addr %p code %d",
		     app_addr, app_code);
	EXPECT_N(1);
	signal(SIGSEGV, SIG_DFL);
	return MTEST_SUCCESS;
}

/* A store form the decoder does not know reaches the application, named. */
static int
test_unknown_form_chains(void)
{
	MTEST_ASSERT_EQ(setup(), 0);
	MTEST_ASSERT_EQ(install_app(0), 0);
	reset();
	app_calls = 0;
	if (sigsetjmp(app_jmp, 1) == 0)
		asm volatile("mov %0, %%rdi\n\taddq $1, 0x40(%%rdi)"	/* 48 83 47 40 01 */
			     : : "r"(page) : "rdi", "memory", "cc");
	MTEST_ASSERT_EQ(app_calls, 1);
	MTEST_ASSERT(app_addr == page + 0x40, "si_addr");
	MTEST_ASSERT(strstr(emu_dbtrap_last_error(), "opcode bytes 48 83 47 40") != NULL,
		     "message: %s", emu_dbtrap_last_error());
	EXPECT_N(0);
	signal(SIGSEGV, SIG_DFL);
	return MTEST_SUCCESS;
}

/* Run @p fn in a child; its wait status. */
static int
in_child(void (*fn)(void))
{
	struct rlimit no_core = { 0, 0 };
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		setrlimit(RLIMIT_CORE, &no_core);
		fn();
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

static void
child_outside_fault(void)
{
	volatile uint8_t *ro = mmap(NULL, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (setup() != 0)
		_exit(2);
	*(volatile uint64_t *)(page + 8) = 1;
	*ro = 1;
	_exit(3);
}

static void
child_unknown_form(void)
{
	if (setup() != 0)
		_exit(2);
	asm volatile("mov %0, %%rdi\n\tincl 0x10(%%rdi)" : : "r"(page) : "rdi", "memory", "cc");
	_exit(3);
}

static void
child_sent_segv(void)
{
	if (setup() != 0)
		_exit(2);
	raise(SIGSEGV);
	_exit(3);
}

/* A fresh process (exec'd): the handler installed before the first map. */
static int
child_handler_before_map(void)
{
	volatile uint8_t *ro = mmap(NULL, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct sigaction cur;

	if (install_app(0) != 0 || setup() != 0)
		return 2;
	if (sigaction(SIGSEGV, NULL, &cur) != 0 || cur.sa_sigaction != app_segv)
		return 3;
	if (fault_at(ro + 5) != 0 || app_addr != ro + 5)
		return 4;
	*(volatile uint64_t *)(page + 0x400) = 5;
	if (atomic_load(&nrec) != 1 || recs[0].val != 5)
		return 5;
	return 0;
}

static void
exec_handler_before_map(void)
{
	execl(self_path, self_path, "--handler-before-map", (char *)NULL);
	_exit(127);
}

/* SIG_DFL: the process dies of SIGSEGV, as it would without us. */
static int
test_sig_dfl_kills(void)
{
	int st;

	st = in_child(child_outside_fault);
	MTEST_ASSERT(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV, "outside fault: status %#x", st);
	st = in_child(child_unknown_form);
	MTEST_ASSERT(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV, "unknown form: status %#x", st);
	st = in_child(child_sent_segv);
	MTEST_ASSERT(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV, "raise: status %#x", st);
	st = in_child(exec_handler_before_map);
	MTEST_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0, "handler before map: status %#x", st);
	return MTEST_SUCCESS;
}

static int
test_bad_arguments(void)
{
	MTEST_ASSERT_EQ(setup(), 0);
	MTEST_ASSERT(emu_dbtrap_map(NULL, 100, memfd, 0, MAP_SHARED, record, NULL) == MAP_FAILED &&
		     errno == EINVAL, "len not a page multiple");
	MTEST_ASSERT(emu_dbtrap_map(NULL, PG, memfd, 0, MAP_PRIVATE, record, NULL) == MAP_FAILED &&
		     errno == EINVAL, "MAP_PRIVATE");
	MTEST_ASSERT(emu_dbtrap_map(NULL, PG, memfd, 0, MAP_SHARED, NULL, NULL) == MAP_FAILED &&
		     errno == EINVAL, "no callback");
	MTEST_ASSERT(emu_dbtrap_map(page, PG, memfd, 0, MAP_SHARED | MAP_FIXED, record, NULL) ==
		     MAP_FAILED && errno == EBUSY, "MAP_FIXED over a registered mapping");
	MTEST_ASSERT(emu_dbtrap_map(NULL, PG, -1, 0, MAP_SHARED, record, NULL) == MAP_FAILED &&
		     errno == EBADF, "bad fd");
	MTEST_ASSERT(strstr(emu_dbtrap_last_error(), "mmap failed") != NULL, "%s",
		     emu_dbtrap_last_error());
	return MTEST_SUCCESS;
}

static const struct mtest_case cases[] = {
	{ "mov64_every_register", test_mov64_every_register },
	{ "mov_narrow", test_mov_narrow },
	{ "sib_index_scale", test_sib_index_scale },
	{ "absolute_and_fixed", test_absolute_and_fixed },
	{ "rip_relative", test_rip_relative },
	{ "rip_relative_xmm", test_rip_relative_xmm },
	{ "mov_imm", test_mov_imm },
	{ "movnti_xchg", test_movnti_xchg },
	{ "xmm_stores", test_xmm_stores },
	{ "vex_stores", test_vex_stores },
	{ "compiled_stores", test_compiled_stores },
	{ "threads_every_store_in_order", test_threads_every_store_in_order },
	{ "chain_to_app_siginfo", test_chain_to_app_siginfo },
	{ "chain_plain_handler_and_resethand", test_chain_plain_handler_and_resethand },
	{ "sigaction_hides_ours", test_sigaction_hides_ours },
	{ "unmap_then_fault", test_unmap_then_fault },
	{ "unknown_form_chains", test_unknown_form_chains },
	{ "bad_arguments", test_bad_arguments },
	{ "sig_dfl_kills", test_sig_dfl_kills },
};

int
main(int argc, char **argv)
{
	self_path = argv[0];
	if (argc == 2 && strcmp(argv[1], "--handler-before-map") == 0)
		return child_handler_before_map();
	return mtest_run("emu-dbtrap", cases, MTEST_N(cases), argc, argv);
}
