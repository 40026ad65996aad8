#pragma once

namespace jaegis::sched {

/// A polite busy-wait step: tells the core we spin, so its sibling hyperthread gets the pipeline.
inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield" ::: "memory");
#endif
}

}  // namespace jaegis::sched
