// The billing agent's identity and instructions, in one place (as Mastra keeps them in
// src/mastra/agents/billing-api-agent.ts).
#pragma once

#include "agent/agent.h"

namespace billing {

AgentConfig BillingAgentConfig();

}  // namespace billing
