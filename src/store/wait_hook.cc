// The per-thread hook slot; see wait_hook.h.
#include "store/wait_hook.h"

namespace billing {

WaitHook*& CurrentWaitHook() {
  thread_local WaitHook* hook = nullptr;
  return hook;
}

}  // namespace billing
