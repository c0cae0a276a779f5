// The models this server can run, from its configuration: the one it starts with and the
// choices an administrator may switch to (agent/model_switch.h): the local planner always, and
// OpenAI models when OPENAI_API_KEY is set (over OPENAI_BASE_URL, with the configured timeout and
// retries).
//
// Thread-safety: MakeModelSwitch is called once at start; the ModelSwitch it returns is safe to
// share (see its header).
#pragma once

#include <memory>

#include <utility>  // before boost: 1.74 awaitable.hpp needs std::exchange

#include <boost/asio/io_context.hpp>

#include "agent/model_switch.h"
#include "app/config.h"
#include "common/clock.h"

namespace billing {

// `io` and `clock` must outlive the result.
std::unique_ptr<ModelSwitch> MakeModelSwitch(const AppConfig& cfg, boost::asio::io_context& io,
                                             const Clock& clock);

}  // namespace billing
