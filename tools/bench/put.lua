-- wrk script: PUT 10 KiB to a fresh id on every request. Ids are unique
-- per thread, under a folder fresh for each run (PUT_PREFIX from the
-- environment), so no PUT is ever refused for an existing id.
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
