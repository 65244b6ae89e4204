# dots_flatbuffers_generate(<target> <schema>...): generates C++ headers with the host's flatc at
# build time into the build tree; generated code is never committed.
function(dots_flatbuffers_generate target)
  set(out_dir ${CMAKE_BINARY_DIR}/generated/dots/wire)
  set(headers)
  foreach(schema ${ARGN})
    get_filename_component(name ${schema} NAME_WE)
    set(header ${out_dir}/${name}_generated.h)
    add_custom_command(
      OUTPUT ${header}
      COMMAND ${FLATC_EXECUTABLE} --cpp --scoped-enums -o ${out_dir} ${schema}
      DEPENDS ${schema}
      COMMENT "flatc ${name}.fbs"
      VERBATIM)
    list(APPEND headers ${header})
  endforeach()
  add_custom_target(${target}_gen DEPENDS ${headers})
  add_library(${target} INTERFACE)
  add_dependencies(${target} ${target}_gen)
  target_include_directories(${target} INTERFACE ${CMAKE_BINARY_DIR}/generated)
  target_link_libraries(${target} INTERFACE flatbuffers::flatbuffers)
endfunction()
