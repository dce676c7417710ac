# Fails when client-web's committed protocol types are not what protogen makes of
# proto/requests.def and the schema now (run by the test proto.generated-ts).
#   cmake -DPROTOGEN=<protogen> -DSRC=<source folder> -DOUT=<scratch file> -P check_generated.cmake
set(committed ${SRC}/client-web/src/generated/protocol.ts)
execute_process(COMMAND ${PROTOGEN} ts ${SRC}/proto/requests.def ${SRC}/proto/advice.v1.schema.json ${OUT}
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "protogen failed (${rc})")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files ${OUT} ${committed} RESULT_VARIABLE differ)
if(NOT differ EQUAL 0)
  message(FATAL_ERROR "${committed} is stale: regenerate it with "
                      "`cmake --build <build folder> --target protocol_ts` and commit it")
endif()
