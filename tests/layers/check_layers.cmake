# Proves the server's layering on the real compile commands of a build: a file of each layer
# is compiled again with a forbidden header forced in (-include) and must stop with the
# layer's rule; with an allowed header, the same command must still compile (the control).
#   cmake -DBUILD=<build folder> -P check_layers.cmake
# The build must have been configured with CMAKE_EXPORT_COMPILE_COMMANDS (the top level does).

# folder of the source | header | forbidden or allowed
set(CASES
  "server/core/|libwebsockets.h|forbidden"
  "server/core/|sqlite3.h|forbidden"
  "server/core/|curl/curl.h|forbidden"
  "server/core/|store.h|allowed"
  "server/auth/|store.h|forbidden"
  "server/auth/|sqlite3.h|forbidden"
  "server/auth/|openssl/evp.h|allowed"
  "server/store/|libwebsockets.h|forbidden"
  "server/store/|sqlite3.h|allowed"
  "server/notify/|sqlite3.h|forbidden"
  "server/notify/|libwebsockets.h|forbidden"
  "server/net/net|sqlite3.h|forbidden"
  "server/net/net|libwebsockets.h|allowed"
  "server/net/outq|libwebsockets.h|forbidden"
  "server/ratelimit|libwebsockets.h|forbidden"
  "server/ratelimit|sqlite3.h|forbidden"
  "server/metrics|libwebsockets.h|forbidden"
  "server/metrics|sqlite3.h|forbidden"
  "connector/adapter|sqlite3.h|forbidden"
  "connector/adapter|store.h|forbidden"
  "connector/adapter|advice.h|allowed")

file(READ ${BUILD}/compile_commands.json db)
string(JSON count LENGTH "${db}")
math(EXPR last "${count} - 1")
set(failures 0)
foreach(case ${CASES})
  string(REPLACE "|" ";" parts "${case}")
  list(GET parts 0 folder)
  list(GET parts 1 header)
  list(GET parts 2 expect)
  set(command "")
  foreach(i RANGE ${last})
    string(JSON file GET "${db}" ${i} file)
    if(file MATCHES "/${folder}[^/]*\\.c$")
      string(JSON command GET "${db}" ${i} command)
      string(JSON dir GET "${db}" ${i} directory)
      break()
    endif()
  endforeach()
  if(command STREQUAL "")
    message(SEND_ERROR "no compile command for a file of ${folder}")
    math(EXPR failures "${failures} + 1")
    continue()
  endif()
  separate_arguments(args UNIX_COMMAND "${command}")
  list(FIND args "-o" at)
  if(at GREATER -1)
    math(EXPR obj "${at} + 1")
    list(REMOVE_AT args ${obj})
    list(REMOVE_AT args ${at})
  endif()
  execute_process(COMMAND ${args} -fsyntax-only -include ${header}
                  WORKING_DIRECTORY ${dir} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  get_filename_component(name ${file} NAME)
  if(expect STREQUAL "forbidden")
    if(rc EQUAL 0 OR NOT err MATCHES "is not for advice_")
      message(SEND_ERROR "${name} compiled with ${header}, which its layer forbids (rc ${rc}): ${err}")
      math(EXPR failures "${failures} + 1")
    else()
      message(STATUS "refused as it must be: ${header} in ${name}")
    endif()
  else()
    if(NOT rc EQUAL 0)
      message(SEND_ERROR "${name} did not compile with ${header}, which its layer may use: ${err}")
      math(EXPR failures "${failures} + 1")
    else()
      message(STATUS "compiles as it must: ${header} in ${name}")
    endif()
  endif()
endforeach()
if(failures GREATER 0)
  message(FATAL_ERROR "${failures} layering checks failed")
endif()
