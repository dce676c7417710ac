# protogen refuses a requests.def that disagrees with the schema or with itself, naming the
# fault, and accepts the real one (run by the test proto.protogen-refuses).
#   cmake -DPROTOGEN=<protogen> -DSRC=<source folder> -DOUT=<scratch folder> -P check_protogen.cmake
file(READ ${SRC}/proto/requests.def def)
set(schema ${SRC}/proto/advice.v1.schema.json)
file(MAKE_DIRECTORY ${OUT})

# Runs protogen on `text` as requests.def; `expect` is "ok" or a regular expression that its
# error message must match.
function(try_def name text expect)
  file(WRITE ${OUT}/${name}.def "${text}")
  execute_process(COMMAND ${PROTOGEN} c ${OUT}/${name}.def ${schema} ${OUT}
                  RESULT_VARIABLE rc ERROR_VARIABLE err)
  if(expect STREQUAL "ok")
    if(NOT rc EQUAL 0)
      message(SEND_ERROR "${name}: refused: ${err}")
    endif()
  elseif(rc EQUAL 0 OR NOT err MATCHES "${expect}")
    message(SEND_ERROR "${name}: want a refusal matching \"${expect}\", got rc ${rc}: ${err}")
  endif()
endfunction()

# Replaces the row of thread.read (a request on a thread) by `row`.
function(with_row name row expect)
  string(REGEX REPLACE "\nthread\\.read [^\n]*" "\n${row}" text "${def}")
  try_def(${name} "${text}" "${expect}")
endfunction()

try_def(real "${def}" ok)
with_row(missing "" "request.thread.read has no \\[wire\\] row")
with_row(unknown_relation "thread.read read thread owner friend member - -" "unknown relation \"friend\"")
with_row(citizen_member "thread.read read thread member member member - -" "role citizen cannot be member")
with_row(admin_relation "thread.read read thread owner member member owner -" "role admin cannot be owner")
with_row(relation_off_thread "thread.read read - owner member member - -" "a relation \\(owner\\) on a request not on a thread")
with_row(bad_writes "thread.read maybe thread owner member member - -" "writes must be read or write")
with_row(bad_on "thread.read read unit owner member member - -" "on must be thread or -")
with_row(columns "thread.read read thread owner member member -" "want 8 columns")
with_row(worker_consented "thread.read read thread owner consented member - -" "role worker cannot be consented")
with_row(twice "thread.read read thread owner member member - -\nthread.read read thread owner member member - -" "thread.read listed twice")
with_row(bad_name "thread.read read thread owner member member - -\nThread.Foo read - any - - - -" "bad request type \"Thread.Foo\"")
with_row(no_schema "thread.read read thread owner member member - -\nthread.frobnicate read - any - - - -" "no request.thread.frobnicate")
string(REGEX REPLACE "\nthread\\.read [^\n]*" "" text "${def}")
try_def(internal_with_schema "${text}thread.read read - any - - - -\n" "thread.read is \\[internal\\] but has a schema definition")
string(REPLACE "\n[internal]\n" "\n[internal]\nkeys.unit read - - - - any -\n" text "${def}")
try_def(internal_duplicate "${text}" "keys.unit listed twice")
try_def(row_before_section "thread.read read thread owner member member - -\n" "a row before \\[wire\\]")
try_def(empty "# nothing\n" "no requests")
string(REPLACE "\n[internal]\n" "\n[internal]\ntick.example write - - - - any -\n" text "${def}")
try_def(internal_action "${text}" ok)
