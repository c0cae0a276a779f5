// Random UUIDs (version 4) for ids that must not collide across processes: memory threads and
// messages, agent runs, instances. The randomness comes from the caller's RandomSource
// (common/clock.h), so tests can make them reproducible.
//
// Thread-safety: as the RandomSource passed in.
#pragma once

#include <string>

#include "common/clock.h"

namespace billing {

// A random UUID v4 string ("xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx") from `random`.
std::string NewUuid(RandomSource& random);

}  // namespace billing
