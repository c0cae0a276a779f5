// Principal: the authenticated caller of a request: an API key ("key:bk_1a2b3c4d") or a JWT
// subject ("jwt:alice"), with its scopes. In development mode (no authentication, loopback
// only) requests run as the anonymous principal, which has every scope.
//
// Thread-safety: plain value.
#pragma once

#include <string>

#include "auth/scopes.h"

namespace billing {

// How the development-mode anonymous principal is named in the records it changes (audit actor,
// createdBy). The sample data is "seed"; the scheduler of later issues "billing-run".
inline constexpr const char* kDevPrincipal = "dev";

struct Principal {
  std::string id;               // "key:<prefix>" / "jwt:<sub>"; "" for the anonymous caller
  ScopeSet scopes = kNoScopes;
  bool authenticated = false;   // false only for the development-mode anonymous caller
  // Customer-bound credentials (an API key made with --customer, a JWT with claim customer_id):
  // the one customer this caller acts for; "" = not bound (integration.md "Access").
  std::string customer_id = {};

  static Principal Anonymous() { return Principal{"", kAllScopes, false, ""}; }
  // The name this caller acts under in records and ownership checks: its id, or kDevPrincipal.
  std::string actor_id() const { return authenticated ? id : std::string(kDevPrincipal); }
};

}  // namespace billing
