package adapters

import "github.com/bloody-sweet/platform/services/events"

func eventsStatus(s string) events.Status { return events.Status(s) }
