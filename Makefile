# Pinwheel build.  `make` builds build/kernel.elf; `make CC=clang` builds it
# with clang.  `make check` runs every test (see tools/check), `make run`
# boots interactively.  Extra in-kernel test suites written outside the
# tree: make KTEST_EXTRA="path/a.c path/b.c" (compiled against include/ only).

ARCH		?= x86_64
CC		?= gcc
ifeq ($(origin CC),default)
CC		:= gcc
endif
PYTHON		?= python3
BUILD		?= build
KTEST_EXTRA	?=

WARN		:= -Wall -Wextra -Werror -Wstrict-prototypes -Wmissing-prototypes \
		   -Wno-unused-parameter -Wshadow -Wpointer-arith
ARCHFLAGS	:= -m64 -mcmodel=kernel -mno-red-zone -mno-mmx -mno-sse -mno-sse2 \
		   -mno-3dnow -mno-avx -fno-pic -fno-pie
CFLAGS_COMMON	:= -std=gnu11 -ffreestanding -fno-builtin-printf -fno-stack-protector \
		   -fno-omit-frame-pointer -mno-omit-leaf-frame-pointer \
		   -fno-strict-aliasing -fno-common -fno-optimize-sibling-calls -O2 -g $(WARN) $(ARCHFLAGS) \
		   -nostdinc -isystem $(shell $(CC) -print-file-name=include)
CFLAGS		:= $(CFLAGS_COMMON) -Iinclude -Iarch/$(ARCH)/include -I.
EXTRA_CFLAGS	:= $(CFLAGS_COMMON) -Iinclude -Iarch/$(ARCH)/include
ASFLAGS		:= -D__ASSEMBLER__ -Iinclude -Iarch/$(ARCH)/include -I. -m64 -g
LDFLAGS		:= -nostdlib -static -Wl,--no-dynamic-linker \
		   -Wl,-z,max-page-size=0x1000 -Wl,-z,noexecstack \
		   -Wl,--build-id=none -Wl,-T,arch/$(ARCH)/kernel.ld

SRCS_C		:= $(wildcard kern/*.c) $(wildcard arch/$(ARCH)/*.c) \
		   $(wildcard dev/*.c) $(wildcard tests/*.c)
SRCS_S		:= $(wildcard arch/$(ARCH)/*.S)
OBJS		:= $(SRCS_C:%.c=$(BUILD)/%.o) $(SRCS_S:%.S=$(BUILD)/%.o)
EXTRA_OBJS	:= $(foreach f,$(KTEST_EXTRA),$(BUILD)/extra/$(subst /,_,$(basename $(f))).o)
DEPS		:= $(OBJS:.o=.d)

.PHONY: all run check clean deps
all: $(BUILD)/kernel.elf

# The symbol table for backtraces is generated from a first link and
# linked into the second; it sits after everything else, so no function
# moves between the two links (tools/ksyms checks that).
$(BUILD)/kernel.elf: $(OBJS) $(EXTRA_OBJS) arch/$(ARCH)/kernel.ld tools/ksyms $(BUILD)/extra.list
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS) -o $(BUILD)/kernel.pass1 $(OBJS) $(EXTRA_OBJS)
	@$(PYTHON) tools/ksyms gen $(BUILD)/kernel.pass1 $(BUILD)/ksyms.S
	@$(CC) $(ASFLAGS) -c -o $(BUILD)/ksyms.o $(BUILD)/ksyms.S
	@$(CC) $(LDFLAGS) -o $@.tmp $(OBJS) $(EXTRA_OBJS) $(BUILD)/ksyms.o
	@$(PYTHON) tools/ksyms verify $(BUILD)/kernel.pass1 $@.tmp
	@mv $@.tmp $@

# Rebuild when the set of extra suites changes.
$(BUILD)/extra.list: FORCE
	@mkdir -p $(BUILD)
	@echo "$(KTEST_EXTRA)" | cmp -s - $@ || echo "$(KTEST_EXTRA)" > $@
FORCE:

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/%.o: %.S
	@mkdir -p $(dir $@)
	@echo "  AS      $<"
	@$(CC) $(ASFLAGS) -MMD -MP -c -o $@ $<

define extra_rule
$(BUILD)/extra/$(subst /,_,$(basename $(1))).o: $(1)
	@mkdir -p $(BUILD)/extra
	@echo "  CC      $(1) (extra suite)"
	@$(CC) $(EXTRA_CFLAGS) -c -o $$@ $(1)
endef
$(foreach f,$(KTEST_EXTRA),$(eval $(call extra_rule,$(f))))

deps:
	@sh tools/deps

run: deps all
	@tools/boot --smp 4 --reboot

check: deps
	@$(PYTHON) tools/check --build $(BUILD)

clean:
	rm -rf $(BUILD)

-include $(DEPS)
