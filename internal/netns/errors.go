package netns

import "errors"

// ErrNotCreated is wrapped by the error of Setup in a process that is not
// in a network namespace its parent created for it with Start or Run.
var ErrNotCreated = errors.New("not in a network namespace created by netns.Start")
