// SPDX-License-Identifier: MIT
// The factory an ERC-6492 signature names: it deploys any creation code at its CREATE2 address, so a
// smart wallet that has not been deployed yet (a counterfactual account, as Coinbase Smart Wallet's
// are until their first transaction) can sign now and be deployed by whoever settles its payment.
pragma solidity ^0.8.20;

import {Create2} from "@openzeppelin/contracts/utils/Create2.sol";

contract TestCreate2Factory {
    event Deployed(address account);

    function deploy(bytes32 salt, bytes calldata creationCode) external returns (address account) {
        account = Create2.deploy(0, salt, creationCode);
        emit Deployed(account);
    }
}
