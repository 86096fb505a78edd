/*
 * frame.h: the registers saved on a trap or interrupt (vectors.S).
 */
#ifndef MACHINE_FRAME_H
#define MACHINE_FRAME_H

#include <types.h>

struct trapframe {
	uint64_t tf_r15, tf_r14, tf_r13, tf_r12, tf_r11, tf_r10, tf_r9, tf_r8;
	uint64_t tf_rbp, tf_rdi, tf_rsi, tf_rdx, tf_rcx, tf_rbx, tf_rax;
	uint64_t tf_vector;
	uint64_t tf_err;
	/* pushed by the CPU */
	uint64_t tf_rip, tf_cs, tf_rflags, tf_rsp, tf_ss;
};

#endif
