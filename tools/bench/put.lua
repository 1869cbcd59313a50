-- wrk script: PUT 10 KiB to a fresh id on every request. Ids are unique
-- per thread, under a folder fresh for each run (PUT_PREFIX from the
-- environment), so no PUT is ever refused for an existing id. They start
-- with the same 8 hex digits (RUN_TAG), as blobs-bench's do, so the blob
-- server keeps them in one folder, as nginx does: both then measure
-- writing files, not the original layout's fan-out of folders.
local body = string.rep("b", 10240)
local tag = os.getenv("RUN_TAG") or "run"
local prefix = os.getenv("PUT_PREFIX") or "/blobs/bench/"
local threads = 0

function setup(thread)
    threads = threads + 1
    thread:set("tid", threads)
end

local counter = 0

function request()
    counter = counter + 1
    return wrk.format("PUT", prefix .. tag .. "-" .. tid .. "-" .. counter,
                      nil, body)
end
