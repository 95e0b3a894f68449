/* vec16.h: a 16-float register block for kernels that keep partial sums in registers while a
 * row's entries stream by, instead of a load and a store of the output per entry (one AVX-512
 * register, two AVX or four SSE ones: GCC and Clang lower the vector type to what the target
 * has).  Internal (never installed), rg_i_ prefix.  Columns past the last whole block take a
 * scalar path in every user. */
#ifndef RG_CORE_VEC16_H
#define RG_CORE_VEC16_H

#define RG_I_BLOCK 16
/* unaligned (aligned(4)) and may_alias: a view of any 16 consecutive floats of a row */
typedef float rg_i_v16 __attribute__((vector_size(RG_I_BLOCK * sizeof(float)), aligned(4),
                                      may_alias));
#define RG_I_V16(p) (*(rg_i_v16 *) (p))
/* Keeps a loaded block in a register: without it GCC folds the load into every instruction
 * that reads the block (an add and an FMA each loading the same 64 bytes), doubling the loads
 * of the rated-mean forward, which then bound it (4.1 -> 3.3 ns per entry on an ML-100K block).
 * Only where the block is one register (AVX-512); elsewhere it is two or four and the
 * constraint cannot name them, so the hint is left out. */
#ifdef __AVX512F__
#define RG_I_IN_REGISTER(v) __asm__("" : "+v"(v))
#else
#define RG_I_IN_REGISTER(v) ((void) 0)
#endif

#endif
